"""Leads: search and filter the leads you may see; open one to edit, qualify, convert or merge it."""

from __future__ import annotations

import streamlit as st

from crm.leads import get_lead, search_leads, update_lead
from crm.opportunities import convert_lead
from ui import lead_detail, lead_list, lead_new
from ui.calls import fetch, perform
from ui.flash import flash, show_flashes
from ui.format import title_case
from ui.record_widgets import (
    audit_table,
    close_panel,
    current_panel,
    follow_record,
    opened_version,
    panel_buttons,
    reloader,
)
from ui.session import require_user

user = require_user()
show_flashes()
lead_id = lead_list.selected_id()

if lead_id is None:
    st.title("Leads")
    lead_new.new_lead_panel(user)
    query = lead_list.search_and_filters(user)
    page = fetch(search_leads, actor=user, query=query)
    lead_list.export_button(user, query, page.total, page.total_is_exact)
    opened = lead_list.lead_table(page.rows, show_owner=user.role != "rep")
    lead_list.pager(page.total, page.limit, page.offset, page.has_more, page.total_is_exact)
    if opened is not None:
        lead_list.open_lead(opened)
    st.stop()

if st.button("← All leads", key="back_to_leads", type="tertiary"):
    close_panel("lead")
    lead_list.close_lead()
lead = fetch(get_lead, lead_id=lead_id, actor=user)
follow_record("lead", lead.id)
lead_detail.lead_header(lead)
lead_detail.converted_note(lead)
lead_detail.score_explanation(lead)

if user.can_write and lead.status != "converted":
    blocker = lead_detail.conversion_blocker(lead)
    panel_buttons(
        "lead",
        [
            ("edit", "Edit lead", True, None),
            ("status", "Change status", True, None),
            ("convert", "Convert to Opportunity", blocker is None, blocker),
            ("merge", "Merge a duplicate", True, None),
        ],
        lead.version,
    )
    if blocker:
        st.caption(blocker)
    panel = current_panel("lead")
    version = opened_version("lead", lead.version)
    if panel == "edit":
        lead_detail.edit_panel(user, lead, version, lead_list.owner_choices(user))
    elif panel == "status" and (status := lead_detail.status_form(lead)) is not None:
        saved = perform(
            update_lead, lead_id=lead.id, data={"status": status}, expected_version=version, actor=user,
            on_stale=reloader("lead", "status_"),
        )  # fmt: skip
        if saved is not None:
            close_panel("lead")
            flash(f"Status changed to {title_case(status)}.")
            st.rerun()
    elif panel == "convert" and (conversion := lead_detail.conversion_form(lead)) is not None:
        opportunity = perform(
            convert_lead, lead_id=lead.id, data=conversion, actor=user, labels=lead_detail.CONVERSION_LABELS
        )
        if opportunity is not None:
            close_panel("lead")
            flash("Opportunity created successfully")
            st.switch_page("pages/opportunities.py", query_params={"id": str(opportunity.id)})
    elif panel == "merge":
        lead_detail.merge_panel(user, lead)

st.subheader("History")
audit_table("lead", lead.id)
