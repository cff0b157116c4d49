"""Opportunity list and detail pieces: filters in the URL, a paged table, stage timeline, forms."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import streamlit as st

from crm.actors import Actor
from crm.opportunities import may_change_closed_deal, update_opportunity
from models.domain import CLOSED_STAGES, LOST_REASONS, STAGES
from ui import lookups
from ui.calls import perform
from ui.format import day, escape, moment, money, money_short, title_case
from ui.lead_list import owner_filter_choices
from ui.phone import record_cards_css
from ui.query_state import publish, seed
from ui.record_widgets import form_base, reloader, unsaved_edits, versioned_key, widget_default

PAGE_SIZE = 25
SORT_LABELS = {
    "close_date": "Close date, soonest first",
    "amount_desc": "Amount, largest first",
    "created_desc": "Newest first",
    "updated_desc": "Recently updated",
    "name": "Name",
}
PHONE_CSS = record_cards_css("opp", {"close": "Closes", "owner": "Owner"})  # a card per deal on phones
COLUMNS = (("Name", 3.0), ("Stage", 1.3), ("Amount", 1.4), ("Expected close", 1.3), ("Owner", 1.6))
STAGE_LABELS = {"to_stage": "New stage", "reason": "Reason", "lost_reason": "Lost reason"}
EDIT_LABELS = {"name": "Deal name", "amount": "Amount", "expected_close_date": "Expected close date"}


def scope_caption(actor: Actor) -> str:
    """Whose deals this list holds, by role."""
    return {"rep": "Your deals.", "manager": "Your team's deals."}.get(actor.role, "All deals.")


def list_filters(actor: Actor) -> dict[str, Any]:
    """Name, stage, owner, open-only and sort filters, kept in the URL; returns list_opportunities arguments."""
    owners = owner_filter_choices(actor)
    seed("opps_q", "q", str, "")
    seed("opps_stage", "stage", str, None, allowed=[None, *STAGES])
    seed("opps_open", "open", lambda raw: raw == "1", True)
    seed("opps_sort", "sort", str, "close_date", allowed=SORT_LABELS)
    if owners:
        seed("opps_owner", "owner", uuid.UUID, None, allowed=owners)
    c1, c2, c5, c3, c4 = st.columns([3, 2, 2, 2, 1], vertical_alignment="bottom")
    if owners:
        c5.selectbox(
            "Owner", owners, key="opps_owner", placeholder="Any",
            format_func=lambda i: "Any" if i is None else lookups.person_name(i),
        )  # fmt: skip
    c1.text_input("Deal name contains", key="opps_q")
    c2.selectbox(
        "Stage",
        [None, *STAGES],
        key="opps_stage",
        format_func=lambda s: "Any" if s is None else title_case(s),
        placeholder="Any",
    )
    c3.selectbox("Sort by", list(SORT_LABELS), key="opps_sort", format_func=SORT_LABELS.__getitem__)
    c4.checkbox("Open only", key="opps_open")
    state = st.session_state
    params = {
        "q": state["opps_q"].strip(),
        "stage": state["opps_stage"],
        "owner": state.get("opps_owner") if owners else None,
        "open": None if state["opps_open"] else "0",
        "sort": None if state["opps_sort"] == "close_date" else state["opps_sort"],
    }
    signature = tuple(sorted((k, str(v)) for k, v in params.items()))
    page = _page_number()
    if state.get("opps_signature") not in (None, signature):
        page = 1
    state["opps_signature"] = signature
    publish({**params, "page": page if page > 1 else None})
    return {
        "q": params["q"] or None,
        "stage": params["stage"],
        "owner_id": params["owner"],
        "open_only": bool(state["opps_open"]),
        "sort": state["opps_sort"],
        "limit": PAGE_SIZE,
        "offset": (page - 1) * PAGE_SIZE,
    }


def _page_number() -> int:
    try:
        return max(1, int(st.query_params.get("page", "1")))
    except ValueError:
        return 1


def opportunity_table(rows: list[Any]) -> uuid.UUID | None:
    """One page of deals; returns the id of the deal whose name was clicked."""
    if not rows:
        st.info("No opportunities match these filters.")
        return None
    widths = [w for _, w in COLUMNS]
    st.html(PHONE_CSS)
    for col, (label, _) in zip(st.container(key="opp_list_header").columns(widths), COLUMNS, strict=True):
        col.markdown(f"**{label}**")
    opened = None
    today = datetime.now(UTC).date()
    for row in rows:
        cells = st.container(key=f"opp_row_{row.id}").columns(widths, vertical_alignment="center")
        if cells[0].button(f":blue[{escape(row.name)}]", key=f"open_opp_{row.id}", type="tertiary"):
            opened = row.id
        cells[1].text(title_case(row.stage))
        cells[2].text(money(row.amount, row.currency))
        overdue = row.stage not in CLOSED_STAGES and row.expected_close_date and row.expected_close_date < today
        close = cells[3].container(key=f"opp_close_{row.id}")
        close.text(day(row.expected_close_date) + (" ⚠ overdue" if overdue else ""))
        cells[4].container(key=f"opp_owner_{row.id}").text(lookups.person_name(row.owner_id))
    return opened


def pager(total: int, offset: int, has_more: bool) -> None:
    """ "Showing 1–25 of 300" with Previous / Next."""
    page = offset // PAGE_SIZE + 1
    left, mid, right = st.columns([1, 3, 1], vertical_alignment="center")
    if left.button("Previous", key="opps_prev", disabled=page <= 1):
        _go(page - 1)
    first = offset + 1 if total else 0
    mid.caption(f"Showing {first:,}–{min(offset + PAGE_SIZE, total):,} of {total:,} opportunities")
    if right.button("Next", key="opps_next", disabled=not has_more):
        _go(page + 1)


def _go(page: int) -> None:
    st.query_params["page"] = str(page)
    st.rerun()


def selected_id() -> uuid.UUID | None:
    """The deal opened through ``?id=``."""
    raw = st.query_params.get("id")
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def header(opp: Any) -> None:
    """Name, stage (Title Case), amount, close date, owner and probability."""
    st.title(escape(opp.name))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Stage", title_case(opp.stage))
    c2.metric("Amount", money_short(opp.amount, opp.currency))
    c3.metric("Expected close", day(opp.expected_close_date))
    c4.metric("Win probability", "—" if opp.probability is None else f"{float(opp.probability):.0f}%")
    st.caption(f"Owner: {escape(lookups.person_name(opp.owner_id))} · created {moment(opp.created_at)}")
    if opp.stage == "closed_lost" and opp.lost_reason:
        st.caption(f"Lost {moment(opp.closed_at)} — reason: {escape(title_case(opp.lost_reason))}")
    elif opp.stage == "closed_won":
        st.caption(f"Won {moment(opp.closed_at)}")
    if opp.lead_id:
        st.page_link("pages/leads.py", label="Open the lead this deal came from", query_params={"id": str(opp.lead_id)})


def action_buttons(actor: Actor, opp: Any) -> list[tuple[str, str, bool, str | None]]:
    """The deal's panel buttons: a closed deal offers only what the rules allow (reopen and edit for managers)."""
    if opp.stage not in CLOSED_STAGES:
        return [("stage", "Change stage", True, None), ("edit", "Edit amount and date", True, None)]
    if may_change_closed_deal(actor):
        return [("stage", "Reopen or change outcome", True, None), ("edit", "Edit amount and date", True, None)]
    return []


def closed_note(actor: Actor, opp: Any) -> None:
    """Say that a deal is closed, and who may reopen it, instead of offering forms that would be refused."""
    if opp.stage not in CLOSED_STAGES:
        return
    if may_change_closed_deal(actor):
        st.caption(f"This deal is {title_case(opp.stage)}. Reopening it or changing its outcome needs a reason.")
    else:
        st.info(f"This deal is {title_case(opp.stage)}. Only a manager or an admin can reopen or edit a closed deal.")


def stage_form(opp: Any, *, version: int) -> dict[str, Any] | None:
    """New stage, with a reason (going backwards or reopening) and a lost reason (closing as lost).

    Widgets are keyed by the deal's ``version``: after a conflict, the reloaded form starts afresh.
    """
    with st.form(f"opp_stage_v{version}"):
        c1, c2 = st.columns(2)
        to_stage = c1.selectbox(
            "New stage",
            [s for s in STAGES if s != opp.stage],
            index=None,
            format_func=title_case,
            key=versioned_key("stage_to", version),
            placeholder="Choose…",
        )
        lost = c2.selectbox(
            "Lost reason",
            LOST_REASONS,
            index=None,
            format_func=title_case,
            key=versioned_key("stage_lost_reason", version),
            placeholder="Only when closing as lost",
        )
        reason = st.text_area(
            "Reason",
            key=versioned_key("stage_reason", version),
            help="Needed when the deal moves back a stage or a closed deal reopens.",
        )
        if not st.form_submit_button("Change stage", key=versioned_key("stage_submit", version), type="primary"):
            return None
    if to_stage is None:
        st.error("New stage: choose one.")
        return None
    return {"to_stage": to_stage, "reason": reason, "lost_reason": lost if to_stage == "closed_lost" else None}


EDIT_FIELDS: tuple[str, ...] = ("name", "amount", "expected_close_date")


def edit_key(name: str, version: int) -> str:
    """The widget key of one edit-form field for the deal at ``version``."""
    return versioned_key(f"oppedit_{name}", version)


def edit_form(opp: Any, *, version: int) -> dict[str, Any] | None:
    """Name, amount and expected close date of the deal at ``version``; returns the submitted values and reason."""
    with st.form(f"opp_edit_v{version}"):
        c1, c2, c3 = st.columns([3, 2, 2])
        values = {
            "name": c1.text_input("Deal name", **widget_default(edit_key("name", version), value=opp.name)),
            "amount": c2.number_input(
                "Amount",
                min_value=0.0,
                step=1000.0,
                **widget_default(edit_key("amount", version), value=float(opp.amount)),
            ),
            "expected_close_date": c3.date_input(
                "Expected close date",
                format="YYYY-MM-DD",
                **widget_default(edit_key("expected_close_date", version), value=opp.expected_close_date),
            ),
        }
        reason = st.text_input("Why (optional)", key=edit_key("reason", version))
        if not st.form_submit_button("Save changes", key=edit_key("submit", version), type="primary"):
            return None
    values["amount"] = Decimal(str(values["amount"])).quantize(Decimal("0.01"))
    return {"values": values, "reason": reason.strip() or None}


def edit_changes(record: Mapping[str, Any] | Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted ``values`` that differ from ``record`` (an object or a mapping of field values)."""
    get = record.get if isinstance(record, Mapping) else lambda name: getattr(record, name)
    return {k: v for k, v in values.items() if not same_value(get(k), v)}


def same_value(old: Any, new: Any) -> bool:
    """True when a stored value and a form value mean the same (amounts compared as numbers)."""
    if isinstance(old, Decimal | float | int) and isinstance(new, Decimal | float | int):
        return Decimal(str(old)) == Decimal(str(new))
    if isinstance(old, str) or isinstance(new, str):
        return (old or "").strip() == (new or "").strip()
    return bool(old == new)


def shown_value(field: str, value: Any) -> str:
    """A deal field's value as people read it, for the conflict panel."""
    if value is None:
        return "—"
    if field == "amount":
        return f"{float(value):,.2f}"
    if field == "expected_close_date":
        return day(value)
    return escape(str(value))


def edit_panel(actor: Actor, opp: Any, version: int) -> bool:
    """The edit panel: conflict choices (after a reload), the form and one version-checked save; True when saved."""
    base = form_base("opp", opp, version, EDIT_FIELDS)
    unsaved_edits(
        "opp",
        stored={name: getattr(opp, name) for name in EDIT_FIELDS},
        labels=EDIT_LABELS,
        widget_key=lambda name: edit_key(name, version),
        shown=shown_value,
        same=same_value,
    )
    edit = edit_form(opp, version=version)
    if edit is None:
        return False
    changes = edit_changes(opp, edit["values"])
    if not changes:
        st.info("Nothing changed.")
        return False
    saved = perform(
        update_opportunity,
        opportunity_id=opp.id,
        data=changes,
        reason=edit["reason"],
        expected_version=version,
        actor=actor,
        labels=EDIT_LABELS,
        on_stale=reloader("opp", "oppedit_", unsaved=edit_changes(base, edit["values"])),
    )
    return saved is not None


def timeline_table(entries: list[Any]) -> None:
    """The deal's history: stage moves, amount and close-date changes, who and why."""
    if not entries:
        st.caption("No history yet.")
        return
    if len(entries) == 1:  # just created: say when and by whom (the stage is in the header)
        first = entries[0]
        why = f" — {first.reason}" if first.reason else ""
        st.caption(
            f"Created {moment(first.changed_at)} by {escape(first.changed_by_name)}{escape(why)}; no changes since."
        )
        return
    st.dataframe(
        [
            {
                "When": moment(e.changed_at),
                "Change": _describe(e),
                "Amount": None if e.amount is None else float(e.amount),
                "Expected close": day(e.expected_close_date),
                "By": e.changed_by_name,
                "Reason": e.reason or "",
            }
            for e in reversed(entries)
        ],
        hide_index=True,
        width="stretch",
        column_config={"Amount": st.column_config.NumberColumn(format="%,.2f")},
    )


def _describe(entry: Any) -> str:
    if entry.from_stage is None:
        return f"Created in {title_case(entry.to_stage)}"
    if entry.from_stage != entry.to_stage:
        return f"{title_case(entry.from_stage)} → {title_case(entry.to_stage)}"
    return "Amount or close date changed"
