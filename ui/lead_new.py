"""The "New lead" form: field-named validation, possible-duplicate warning, duplicate-email link."""

from __future__ import annotations

from typing import Any

import streamlit as st

from crm.actors import Actor
from crm.duplicates import OTHERS_MESSAGE, DuplicateCheck, check_duplicates
from crm.errors import DomainError, DuplicateEmail
from crm.leads import create_lead
from models.domain import LEAD_SOURCES, SETTABLE_LEAD_STATUSES
from ui.calls import describe
from ui.flash import flash
from ui.format import escape, title_case
from ui.lead_detail import LEAD_LABELS
from ui.resources import sessions

PENDING_KEY = "new_lead_pending"
OPEN_KEY = "new_lead_open"


def new_lead_panel(actor: Actor) -> None:
    """The "New lead" button and, when open, the form (with the duplicate confirmation step)."""
    if not actor.can_write:
        return
    if not st.session_state.get(OPEN_KEY):
        if st.button("New lead", key="new_lead_open_button", icon=":material/person_add:"):
            st.session_state[OPEN_KEY] = True
            st.rerun()
        return
    values = _form()
    if values is not None:
        st.session_state.pop(PENDING_KEY, None)
        _save(actor, values, confirmed=False)
    pending = st.session_state.get(PENDING_KEY)
    if pending is not None:
        _confirm_duplicates(actor, pending)


def _form() -> dict[str, Any] | None:
    with st.form("new_lead"):
        st.subheader("New lead")
        c1, c2, c3 = st.columns(3)
        values = {
            "first_name": c1.text_input("First name", key="new_first_name"),
            "last_name": c2.text_input("Last name", key="new_last_name"),
            "email": c3.text_input("Email", key="new_email"),
            "company": c1.text_input("Company", key="new_company"),
            "title": c2.text_input("Job title", key="new_title"),
            "phone": c3.text_input("Phone", key="new_phone"),
            "industry": c1.text_input("Industry", key="new_industry"),
            "country": c2.text_input("Country", key="new_country"),
            "source": c3.selectbox(
                "Source", LEAD_SOURCES, index=None, format_func=title_case, key="new_source", placeholder="Not set"
            ),
            "employee_count": c1.number_input("Employees", min_value=0, step=10, value=None, key="new_employee_count"),
            "annual_revenue": c2.number_input(
                "Annual revenue", min_value=0.0, step=10000.0, value=None, key="new_annual_revenue"
            ),
            "engagement_score": c3.number_input(
                "Engagement (0–100)", min_value=0, max_value=100, value=None, key="new_engagement"
            ),
            "status": c1.selectbox("Status", SETTABLE_LEAD_STATUSES, format_func=title_case, key="new_status"),
        }
        left, right = st.columns([1, 6])
        submitted = left.form_submit_button("Save lead", key="new_lead_submit", type="primary")
        cancelled = right.form_submit_button("Cancel", key="new_lead_cancel")
    if cancelled:
        _close()
        st.rerun()
    if not submitted:
        return None
    if values["annual_revenue"] is not None:
        values["annual_revenue"] = round(values["annual_revenue"], 2)
    return values


def _save(actor: Actor, values: dict[str, Any], *, confirmed: bool) -> None:
    """Check for possible duplicates (unless confirmed), then create the lead; show the outcome."""
    try:
        with sessions().begin() as session:
            if not confirmed:
                check = check_duplicates(session=session, data=values, actor=actor)
                if check.any and not check.same_email:  # the same email is refused below
                    st.session_state[PENDING_KEY] = {"values": values, "check": check}
                    st.rerun()
            lead = create_lead(session=session, data=values, actor=actor)
            lead_id, name = lead.id, lead.full_name
    except DuplicateEmail as exc:
        st.error(describe(exc, LEAD_LABELS))
        if exc.existing_id is not None:  # only a lead this user may see is linked
            st.page_link("pages/leads.py", label="Open the existing lead", query_params={"id": str(exc.existing_id)})
        return
    except DomainError as exc:
        st.error(describe(exc, LEAD_LABELS))
        return
    _close()
    flash(f"Lead {name} created.")
    st.query_params.from_dict({"id": str(lead_id)})
    st.rerun()


def _confirm_duplicates(actor: Actor, pending: dict[str, Any]) -> None:
    check: DuplicateCheck = pending["check"]
    if check.candidates:
        st.warning("This lead may already exist. Check the possible duplicates, then save anyway or change the form.")
        st.dataframe(
            [
                {
                    "Name": c.full_name,
                    "Email": c.email,
                    "Match": f"{_percent(c.match_score)}",
                    "Why": "; ".join(c.reasons),
                }
                for c in check.candidates
            ],
            hide_index=True,
            width="stretch",
        )
        for c in check.candidates:
            st.page_link("pages/leads.py", label=f"Open {escape(c.full_name)}", query_params={"id": str(c.lead_id)})
    if check.others:  # leads this user may not see: that one exists, nothing more
        st.warning(OTHERS_MESSAGE)
    if st.button("Save anyway", key="new_lead_confirm", type="primary"):
        st.session_state.pop(PENDING_KEY, None)
        _save(actor, pending["values"], confirmed=True)


def _percent(score: float) -> str:
    return f"{score:.0f}%"


def _close() -> None:
    st.session_state.pop(OPEN_KEY, None)
    st.session_state.pop(PENDING_KEY, None)
