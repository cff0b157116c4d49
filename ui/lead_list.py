"""The lead list: search, filters and sort kept in the URL, a paged table, CSV export of the view."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import streamlit as st

from crm.actors import Actor
from crm.csv_export import safe_csv_bytes
from crm.leads import EXPORT_COLUMNS, explain_lead_score, iter_leads_for_export
from models.domain import LEAD_SOURCES, LEAD_STATUSES
from models.schemas import LeadQuery
from ui import lookups, model_scores
from ui.format import escape, plural, title_case
from ui.phone import record_cards_css
from ui.query_state import publish, seed
from ui.resources import sessions

PAGE_SIZES = (25, 50, 100)
SORT_LABELS: dict[str, str] = {
    "open_first": "Open leads first, highest score",
    "score_desc": "Score, highest first",
    "score_asc": "Score, lowest first",
    "created_desc": "Newest first",
    "created_asc": "Oldest first",
    "updated_desc": "Recently updated",
    "name": "Name",
    "company": "Company",
    "email": "Email",
}
WHY_WIDTHS = [1.5, 1.6, 3.0, 1.0, 0.7, 2.3]  # a rep's own book: the last column says why each scores so
COLUMNS = (("Name", 2.0), ("Company", 2.1), ("Email", 3.0), ("Status", 1.1), ("Score", 0.75), ("Owner", 1.5))
# Phones: each lead a card (see ui.phone), the score, chance and owner labelled.
PHONE_CSS = record_cards_css("lead", {"score": "Score", "chance": "Chance", "owner": "Owner"})


def _uuid(raw: str) -> uuid.UUID:
    return uuid.UUID(raw)


def owner_choices(actor: Actor) -> list[uuid.UUID]:
    """Active people whose leads ``actor`` may reassign to (empty for reps and analysts)."""
    if actor.role not in ("manager", "admin"):
        return []
    active = {p.id for p in lookups.people().values() if p.is_active}
    return [i for i in _owner_choices(actor) if i is not None and i in active]


def owner_filter_choices(actor: Actor) -> list[uuid.UUID | None]:
    """Owner filter options (None = any) for managers, analysts and admins; empty for reps."""
    return [] if actor.role == "rep" else _owner_choices(actor)


def _owner_choices(actor: Actor) -> list[uuid.UUID | None]:
    everyone = lookups.people()
    if actor.role == "manager":
        team = [
            p.id
            for p in everyone.values()
            if p.id == actor.id
            or p.manager_id == actor.id
            or (actor.team_id is not None and p.team_id == actor.team_id)
        ]
    else:
        team = [p.id for p in everyone.values() if p.role in ("rep", "manager")]
    return [None, *team]


def _seed_widgets(actor: Actor) -> None:
    seed("leads_q", "q", str, "")
    seed("leads_status", "status", str, None, allowed=[None, *LEAD_STATUSES])
    if actor.role != "rep":
        seed("leads_owner", "owner", _uuid, None, allowed=_owner_choices(actor))
    seed("leads_territory", "territory", _uuid, None, allowed=[None, *lookups.territory_names()])
    seed("leads_source", "source", str, None, allowed=[None, *LEAD_SOURCES])
    seed("leads_score_min", "score_min", int, 0)
    seed("leads_score_max", "score_max", int, 100)
    seed("leads_from", "from", date.fromisoformat, None)
    seed("leads_to", "to", date.fromisoformat, None)
    seed("leads_sort", "sort", str, default_sort(actor), allowed=SORT_LABELS)
    seed("leads_size", "size", int, PAGE_SIZES[0], allowed=PAGE_SIZES)


def search_and_filters(actor: Actor) -> LeadQuery:
    """Draw the search box and filter panel; return the query they describe (also written to the URL)."""
    _seed_widgets(actor)
    with st.form("lead_search", border=False):
        left, right = st.columns([6, 1], vertical_alignment="bottom")
        left.text_input("Search", key="leads_q", placeholder="Part of a name, email or company")
        right.form_submit_button("Search", key="leads_search_submit", type="primary", width="stretch")
    with st.expander("Filters and sort"):
        c1, c2, c3, c4 = st.columns(4)
        c1.selectbox(
            "Status", [None, *LEAD_STATUSES], key="leads_status", format_func=_or_any(title_case), placeholder="Any"
        )
        if actor.role != "rep":
            c2.selectbox(
                "Owner",
                _owner_choices(actor),
                key="leads_owner",
                format_func=_or_any(lookups.person_name),
                placeholder="Any",
            )
        c3.selectbox(
            "Territory",
            [None, *lookups.territory_names()],
            key="leads_territory",
            format_func=_or_any(lookups.territory_name),
            placeholder="Any",
        )
        c4.selectbox(
            "Source", [None, *LEAD_SOURCES], key="leads_source", format_func=_or_any(title_case), placeholder="Any"
        )
        c1, c2, c3, c4 = st.columns(4)
        c1.number_input("Score from", min_value=0, max_value=100, step=5, key="leads_score_min")
        c2.number_input("Score to", min_value=0, max_value=100, step=5, key="leads_score_max")
        c3.date_input("Created from", key="leads_from", format="YYYY-MM-DD")
        c4.date_input("Created to", key="leads_to", format="YYYY-MM-DD")
        c1, c2, _ = st.columns([2, 1, 3])
        c1.selectbox("Sort by", list(SORT_LABELS), key="leads_sort", format_func=SORT_LABELS.__getitem__)
        c2.selectbox("Rows per page", PAGE_SIZES, key="leads_size")
    return _publish_query(actor)


def _publish_query(actor: Actor) -> LeadQuery:
    state = st.session_state
    low, high = sorted((state["leads_score_min"], state["leads_score_max"]))
    start, end = state["leads_from"], state["leads_to"]
    if start and end and start > end:
        start, end = end, start
    params: dict[str, Any] = {
        "q": (state["leads_q"] or "").strip(),
        "status": state["leads_status"],
        "owner": state.get("leads_owner") if actor.role != "rep" else None,
        "territory": state["leads_territory"],
        "source": state["leads_source"],
        "score_min": low or None,
        "score_max": high if high < 100 else None,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "sort": state["leads_sort"] if state["leads_sort"] != default_sort(actor) else None,
        "size": state["leads_size"] if state["leads_size"] != PAGE_SIZES[0] else None,
    }
    signature = tuple(sorted((k, str(v)) for k, v in params.items()))
    page = _page_number()
    if state.get("leads_signature") not in (None, signature):
        page = 1
    state["leads_signature"] = signature
    params["page"] = page if page > 1 else None
    publish(params)
    size = state["leads_size"]
    return LeadQuery(
        q=params["q"] or None,
        status=params["status"],
        owner_id=params["owner"],
        territory_id=params["territory"],
        source=params["source"],
        score_min=params["score_min"],
        score_max=params["score_max"],
        created_from=start,
        created_to=end,
        sort=state["leads_sort"],
        limit=size,
        offset=(page - 1) * size,
    )


def default_sort(actor: Actor) -> str:
    """A rep's own book lists open leads first (converted and unqualified ones wait at the end)."""
    return "open_first" if actor.role == "rep" else "score_desc"


def _page_number() -> int:
    try:
        return max(1, int(st.query_params.get("page", "1")))
    except ValueError:
        return 1


def _or_any(fmt: Any) -> Any:
    return lambda value: "Any" if value is None else fmt(value)


def lead_table(rows: list[Any], *, show_owner: bool = True) -> uuid.UUID | None:
    """Draw one page of leads (the last column: owner, or for a rep's own book why each scores so)."""
    if not rows:
        if _page_number() > 1:
            st.info("This page is past the last one.")
            if st.button("Back to the first page", key="leads_first_page"):
                _go_to(1)
        else:
            st.info("No leads match this search and these filters.")
        return None
    widths = [w for _, w in COLUMNS] if show_owner else list(WHY_WIDTHS)
    labels = [label for label, _ in COLUMNS[:-1]] + ["Owner" if show_owner else "Mostly because"]
    chances = model_scores.conversion_chances(row.id for row in rows)  # None until a lead model is trained
    if chances is not None:
        widths.insert(5, 0.9)
        labels.insert(5, "Chance")
    st.html(PHONE_CSS)
    header = st.container(key="lead_list_header").columns(widths)
    for col, label in zip(header, labels, strict=True):
        col.markdown(f"**{label}**", help="The model's chance that the lead converts" if label == "Chance" else None)
    opened = None
    for row in rows:
        cells = st.container(key=f"lead_row_{row.id}").columns(widths, vertical_alignment="center")
        if cells[0].button(link_label(_full_name(row)), key=f"open_lead_{row.id}", type="tertiary"):
            opened = row.id
        cells[1].text(row.company or "—")
        cells[2].text(row.email or "—")
        cells[3].text(title_case(row.status))
        score = cells[4].container(key=f"lead_score_{row.id}")
        score.text("—" if row.score is None else f"{float(row.score):.0f}")
        if chances is not None:
            chance, why = chances.get(str(row.id), (None, ""))
            cells[5].container(key=f"lead_chance_{row.id}").text(model_scores.percent(chance), help=why or None)
        if show_owner:
            cells[-1].container(key=f"lead_owner_{row.id}").text(lookups.person_name(row.owner_id))
        else:
            cells[-1].caption(escape(top_reasons(row)))
    return opened


def top_reasons(lead: Any, count: int = 2) -> str:
    """The parts of the score that added the most points, in a few words."""
    reasons = explain_lead_score(lead).reasons

    def points(reason: str) -> float:
        try:
            return float(reason.rsplit("+", 1)[1].split()[0])
        except (IndexError, ValueError):
            return 0.0

    best = sorted((r for r in reasons if points(r) > 0), key=points, reverse=True)[:count]
    return "; ".join(re.sub(r" \([^)0-9]*\)", "", r.rsplit(":", 1)[0]) for r in best) or "—"


def link_label(text: str) -> str:
    """A button label that reads as a link (blue), with the text escaped so it shows as typed."""
    return f":blue[{escape(text)}]"


def _full_name(row: Any) -> str:
    name = " ".join(p for p in (row.first_name, row.last_name) if p)
    return name or row.email or "(no name)"


def pager(total: int, limit: int, offset: int, has_more: bool, exact: bool = True) -> None:
    """ "Showing 1–25 of 1,234" with Previous / Next buttons that move the page in the URL."""
    page = offset // limit + 1
    pages = max(1, -(-total // limit))
    first = offset + 1 if total else 0
    last = min(offset + limit, total)
    left, mid, right = st.columns([1, 3, 1], vertical_alignment="center")
    if left.button("Previous", key="leads_prev", disabled=page <= 1):
        _go_to(page - 1)
    about = "" if exact else "about "
    last = offset + limit if has_more else last
    mid.caption(f"Showing {first:,}–{last:,} of {about}{plural(total, 'lead')} · page {page:,} of {about}{pages:,}")
    if right.button("Next", key="leads_next", disabled=not has_more):
        _go_to(page + 1)


def _go_to(page: int) -> None:
    if page > 1:
        st.query_params["page"] = str(page)
    else:
        st.query_params.pop("page", None)
    st.rerun()


def selected_id() -> uuid.UUID | None:
    """The lead opened through ``?id=`` (None for the list, or when the id is not a UUID)."""
    raw = st.query_params.get("id")
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        st.query_params.pop("id", None)
        return None


def open_lead(lead_id: uuid.UUID) -> None:
    """Show one lead's detail (its id goes into the URL, next to the list's filters)."""
    st.query_params["id"] = str(lead_id)
    st.rerun()


def close_lead() -> None:
    """Back to the list with its filters."""
    st.query_params.pop("id", None)
    st.rerun()


def export_button(actor: Actor, query: LeadQuery, total: int, exact: bool = True) -> None:
    """How many leads match, and a download of all of them (filters and sort, all pages) as CSV."""
    factory = sessions()
    full_view = query.model_copy(update={"offset": 0})

    def build() -> bytes:
        with factory.begin() as session:
            return safe_csv_bytes(iter_leads_for_export(session=session, actor=actor, query=full_view), EXPORT_COLUMNS)

    row = st.container(horizontal=True, vertical_alignment="center")
    about = "" if exact else "about "
    row.markdown(f"{about}**{total:,}** {'lead matches' if total == 1 else 'leads match'}")
    row.download_button(
        "Download CSV",
        data=build,
        file_name=f"leads-{date.today().isoformat()}.csv",
        mime="text/csv",
        key="leads_csv",
        on_click="ignore",
        icon=":material/download:",
    )
