"""One lead: status, score explained, territory reason, and its edit/status/convert/merge panels."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import streamlit as st

from crm.actors import Actor
from crm.duplicates import find_possible_duplicates, merge_leads
from crm.leads import explain_lead_score, lead_values, update_lead
from models.domain import LEAD_SOURCES, OPEN_STAGES, SETTABLE_LEAD_STATUSES
from ui import lookups, model_scores
from ui.calls import fetch, perform
from ui.flash import flash
from ui.format import escape, moment, title_case
from ui.record_widgets import close_panel, form_base, reloader, unsaved_edits, versioned_key, widget_default

LEAD_LABELS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "title": "Job title",
    "industry": "Industry",
    "employee_count": "Employees",
    "annual_revenue": "Annual revenue",
    "country": "Country",
    "source": "Source",
    "campaign": "Campaign",
    "engagement_score": "Engagement (0–100)",
    "status": "Status",
    "owner_id": "Owner",
    "territory_id": "Territory",
}
CONVERSION_LABELS = {
    "name": "Name",
    "amount": "Amount",
    "stage": "Stage",
    "expected_close_date": "Expected close date",
    "currency": "Currency",
}


def full_name(lead: Any) -> str:
    """First and last name, or the email when both are missing."""
    return " ".join(p for p in (lead.first_name, lead.last_name) if p) or lead.email or "(no name)"


def lead_header(lead: Any) -> None:
    """Name, company and the key facts of the lead."""
    st.title(escape(full_name(lead)))
    facts = [lead.title, lead.company, lead.email, lead.phone, lead.country]
    st.caption(" · ".join(escape(f) for f in facts if f))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Status", title_case(lead.status))
    c2.metric("Score", "—" if lead.score is None else f"{float(lead.score):.0f} / 100")
    c3.metric("Owner", lookups.person_name(lead.owner_id))
    c4.metric("Territory", lookups.territory_name(lead.territory_id))


def score_explanation(lead: Any) -> None:
    """The fit and engagement parts of the score, in plain words."""
    explained = explain_lead_score(lead)
    fit = [r for r in explained.reasons if r.endswith("fit")]
    engagement = [r for r in explained.reasons if r.endswith("engagement")]
    st.subheader("Why this score")
    left, right = st.columns(2)
    left.markdown(f"**Fit: {explained.fit:.0f} of 40 points** — who they are")
    left.markdown("\n".join(f"- {escape(_sentence(r))}" for r in fit))
    right.markdown(f"**Engagement: {explained.engagement:.0f} of 60 points** — what they did")
    right.markdown("\n".join(f"- {escape(_sentence(r))}" for r in engagement))
    predicted_conversion(lead)
    if lead.territory_reason:
        st.caption("Territory and owner: " + escape(lead.territory_reason))


def predicted_conversion(lead: Any) -> None:
    """Beside the rule-based score: the trained model's conversion probability and its top reasons (if scored)."""
    predicted = model_scores.lead_prediction(lead)
    if predicted is None:
        return
    reasons = [r.strip() for r in (predicted["reasons"] or "").split(";") if r.strip()]
    st.markdown(
        f"**Predicted conversion: {model_scores.percent(predicted['conversion_probability'])}** — "
        f"from the {escape(predicted['probability_source'] or 'model')}, learned from past leads"
    )
    if reasons:
        st.markdown("\n".join(f"- {escape(_sentence(r))}" for r in reasons[:3]))
    fresh = (
        " Recomputed from the lead as it is now (changed since the model last scored it)."
        if predicted.get("rescored")
        else ""
    )
    st.caption(f"The score above is rule-based; this probability is the model's.{fresh} See {model_scores.ABOUT_LINK}.")


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:]


EDIT_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "country",
    "employee_count",
    "annual_revenue",
    "engagement_score",
    "source",
    "owner_id",
)


def edit_form(lead: Any, owners: list[Any] | None = None, *, version: int) -> dict[str, Any] | None:
    """The edit form for the lead at ``version`` (with an owner choice when ``owners`` is given).

    Returns every field's submitted value (normalised) when saved; widgets are keyed by ``version``
    so a reload after a conflict shows the stored record, never the browser's stale values.
    """

    def key(name: str) -> str:
        return edit_key(name, version)

    def text(col: Any, label: str, name: str) -> Any:
        return col.text_input(label, **widget_default(key(name), value=getattr(lead, name) or ""))

    with st.form(f"lead_edit_v{version}"):
        c1, c2 = st.columns(2)
        sources = _with(LEAD_SOURCES, lead.source)
        values = {
            "first_name": text(c1, "First name", "first_name"),
            "last_name": text(c2, "Last name", "last_name"),
            "email": text(c1, "Email", "email"),
            "phone": text(c2, "Phone", "phone"),
            "company": text(c1, "Company", "company"),
            "title": text(c2, "Job title", "title"),
            "industry": text(c1, "Industry", "industry"),
            "country": text(c2, "Country", "country"),
            "employee_count": c1.number_input(
                "Employees", min_value=0, step=10, **widget_default(key("employee_count"), value=lead.employee_count)
            ),
            "annual_revenue": c2.number_input(
                "Annual revenue",
                min_value=0.0,
                step=10000.0,
                **widget_default(
                    key("annual_revenue"),
                    value=None if lead.annual_revenue is None else float(lead.annual_revenue),
                ),
            ),
            "engagement_score": c1.number_input(
                "Engagement (0–100)",
                min_value=0,
                max_value=100,
                **widget_default(key("engagement_score"), value=lead.engagement_score),
            ),
            "source": c2.selectbox(
                "Source",
                sources,
                format_func=title_case,
                placeholder="Not set",
                **widget_default(key("source"), index=_index(sources, lead.source)),
            ),
        }
        if owners:
            choices = owners if lead.owner_id in owners else [lead.owner_id, *owners]
            values["owner_id"] = c1.selectbox(
                "Owner",
                choices,
                format_func=lookups.person_name,
                **widget_default(key("owner_id"), index=choices.index(lead.owner_id)),
            )
        if not st.form_submit_button("Save changes", key=f"edit_submit_v{version}", type="primary"):
            return None
    if values["annual_revenue"] is not None:
        values["annual_revenue"] = Decimal(str(values["annual_revenue"])).quantize(Decimal("0.01"))
    return values


def edit_panel(actor: Actor, lead: Any, version: int, owners: list[Any] | None) -> None:
    """The edit panel: conflict choices (after a reload), the form, and one version-checked save."""
    base = form_base("lead", lead, version, EDIT_FIELDS)
    edit_conflict(lead, version)
    submitted = edit_form(lead, owners, version=version)
    if submitted is None:
        return
    changes = differing(lead, submitted)
    if not changes:
        st.info("Nothing changed.")
        return
    saved = perform(
        update_lead,
        lead_id=lead.id,
        data=changes,
        expected_version=version,
        actor=actor,
        labels=LEAD_LABELS,
        on_stale=reloader("lead", "edit_", unsaved=differing(base, submitted)),
    )
    if saved is not None:
        close_panel("lead")
        flash("Lead saved.")
        st.rerun()


def edit_key(name: str, version: int) -> str:
    """The widget key of one edit-form field for the lead at ``version``."""
    return versioned_key(f"edit_{name}", version)


def differing(record: Mapping[str, Any] | Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted ``values`` that differ from ``record`` (an object or a mapping of field values)."""
    get = record.get if isinstance(record, Mapping) else lambda name: getattr(record, name)
    return {k: v for k, v in values.items() if _differs(get(k), v)}


def same_value(old: Any, new: Any) -> bool:
    """True when a stored value and a form value mean the same (blank text is no value)."""
    return not _differs(old, new)


def shown_value(field: str, value: Any) -> str:
    """A field value as people read it, for the conflict panel."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "—"
    if field == "owner_id":
        return escape(lookups.person_name(value))
    if field == "source":
        return escape(title_case(value))
    if isinstance(value, Decimal | float):
        return f"{float(value):,.2f}"
    return escape(str(value))


def edit_conflict(lead: Any, version: int) -> None:
    """After a conflict and reload: the user's unsaved edits beside the stored lead, each to re-apply by choice."""
    unsaved_edits(
        "lead",
        stored={name: getattr(lead, name) for name in EDIT_FIELDS},
        labels=LEAD_LABELS,
        widget_key=lambda name: edit_key(name, version),
        shown=shown_value,
        same=same_value,
    )


def _with(options: tuple[str, ...], current: str | None) -> list[str]:
    return list(options) if current is None or current in options else [*options, current]


def _index(options: list[str], current: str | None) -> int | None:
    return options.index(current) if current in options else None


def _differs(old: Any, new: Any) -> bool:
    if isinstance(new, str) or (new is None and isinstance(old, str)):
        return (old or "").strip() != (new or "").strip()
    if isinstance(old, Decimal | float | int) and isinstance(new, Decimal | float | int):
        return Decimal(str(old)) != Decimal(str(new))
    return bool(old != new)


def status_form(lead: Any) -> str | None:
    """Pick a new status; returns it when submitted."""
    options = [s for s in SETTABLE_LEAD_STATUSES if s != lead.status]
    with st.form("lead_status"):
        choice = st.selectbox(
            "New status", options, index=None, format_func=title_case, key="status_choice", placeholder="Choose…"
        )
        submitted = st.form_submit_button("Update status", key="status_submit", type="primary")
    if submitted and choice is None:
        st.error("New status: choose one.")
        return None
    return choice if submitted else None


def conversion_form(lead: Any) -> dict[str, Any] | None:
    """Name, amount, stage and expected close date of the new opportunity; returns them when submitted."""
    default_name = " — ".join(p for p in (lead.company, full_name(lead)) if p)
    with st.form("lead_convert"):
        st.subheader("New opportunity from this lead")
        c1, c2 = st.columns(2)
        values = {
            "name": c1.text_input("Name", value=default_name, key="convert_name"),
            "amount": c2.number_input("Amount", min_value=0.0, step=1000.0, value=0.0, key="convert_amount"),
            "stage": c1.selectbox("Stage", OPEN_STAGES, index=0, format_func=title_case, key="convert_stage"),
            "expected_close_date": c2.date_input(
                "Expected close date",
                value=date.today() + timedelta(days=30),
                key="convert_close_date",
                format="YYYY-MM-DD",
            ),
            "currency": c1.text_input("Currency", value="USD", max_chars=3, key="convert_currency"),
        }
        if not st.form_submit_button("Create Opportunity", key="convert_submit", type="primary"):
            return None
    values["amount"] = Decimal(str(values["amount"])).quantize(Decimal("0.01"))
    return values


def conversion_blocker(lead: Any) -> str | None:
    """Why this lead cannot be converted now (None when it can)."""
    if lead.status == "converted":
        return "This lead is already converted."
    if lead.status != "qualified":
        return (
            f"Only qualified leads can be converted; this lead is {title_case(lead.status)}. Change its status first."
        )
    return None


def merge_panel(actor: Actor, lead: Any) -> None:
    """Pick one of the lead's possible duplicates and merge it into this lead."""
    candidates = fetch(find_possible_duplicates, data=lead_values(lead), actor=actor, exclude_id=lead.id)
    if not candidates:
        st.info("No possible duplicates of this lead were found.")
        return
    labels = {c.lead_id: f"{c.full_name} · {c.email or 'no email'} · {c.match_score:.0f}% match" for c in candidates}
    with st.form("lead_merge"):
        choice = st.radio("Possible duplicates", list(labels), format_func=labels.__getitem__, key="merge_choice")
        st.caption("Details this lead lacks are copied from the duplicate, its deals move here, then it is removed.")
        submitted = st.form_submit_button("Merge into this lead", key="merge_submit", type="primary")
    if not submitted:
        return
    merged = perform(merge_leads, keep_id=lead.id, merge_id=choice, chosen={}, actor=actor)
    if merged is not None:
        st.session_state.pop("lead_panel", None)
        flash(f"{labels[choice].split(' · ')[0]} merged into this lead.")
        st.rerun()


def converted_note(lead: Any) -> None:
    """Where a converted lead went."""
    if lead.converted_opportunity_id:
        st.success(f"Converted {moment(lead.converted_at)}.")
        st.page_link(
            "pages/opportunities.py",
            label="Open the opportunity",
            query_params={"id": str(lead.converted_opportunity_id)},
        )
