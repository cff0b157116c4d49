"""Opportunities: the deals you may see; open one to move its stage or edit amount and close date."""

from __future__ import annotations

import streamlit as st

from crm.opportunities import change_stage, get_opportunity, list_opportunities, stage_timeline
from ui import opportunity_views as views
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
opportunity_id = views.selected_id()

if opportunity_id is None:
    st.title("Opportunities")
    st.caption(views.scope_caption(user))
    arguments = views.list_filters(user)
    page = fetch(list_opportunities, actor=user, **arguments)
    opened = views.opportunity_table(page.rows)
    views.pager(page.total, page.offset, page.has_more)
    if opened is not None:
        st.query_params["id"] = str(opened)
        st.rerun()
    st.stop()

if st.button("← All opportunities", key="back_to_opportunities", type="tertiary"):
    close_panel("opp")
    st.query_params.pop("id", None)
    st.rerun()
opp = fetch(get_opportunity, opportunity_id=opportunity_id, actor=user)
follow_record("opp", opp.id)
views.header(opp)

if user.can_write:
    views.closed_note(user, opp)
    buttons = views.action_buttons(user, opp)
    panel_buttons("opp", buttons, opp.version)
    panel = current_panel("opp") if current_panel("opp") in {b[0] for b in buttons} else None
    version = opened_version("opp", opp.version)
    if panel == "stage" and (move := views.stage_form(opp, version=version)) is not None:
        moved = perform(
            change_stage, opportunity_id=opp.id, expected_version=version, actor=user,
            labels=views.STAGE_LABELS, on_stale=reloader("opp", "stage_"), **move,
        )  # fmt: skip
        if moved is not None:
            close_panel("opp")
            flash(f"Stage changed to {title_case(moved.stage)}.")
            st.rerun()
    elif panel == "edit" and views.edit_panel(user, opp, version):
        close_panel("opp")
        flash("Opportunity saved.")
        st.rerun()

st.subheader("Stage timeline")
views.timeline_table(fetch(stage_timeline, opportunity_id=opp.id, actor=user))
audit_table("opportunity", opp.id)
