"""Territories (admins only): edit routing rules, preview how many leads would move, then apply."""

from __future__ import annotations

import streamlit as st

from crm.territories import apply_rule_change, create_territory, preview_rule_change
from ui import admin_views as views
from ui.calls import fetch, perform
from ui.flash import flash, show_flashes
from ui.lookups import forget_lookups
from ui.session import require_user

user = require_user()
views.require_admin(user)
st.title("Territories")
show_flashes()

territories = views.territories()
by_id = {t.id: t for t in territories}
if territories:
    st.dataframe(
        [
            {"Territory": t.name, "Region": t.region or "", "Priority": t.priority, "Rules": len(t.rules)}
            for t in territories
        ],
        hide_index=True,
        width="stretch",
    )
    chosen = st.selectbox("Territory to edit", list(by_id), format_func=lambda i: by_id[i].name, key="terr_choice")
    territory = by_id[chosen]
    st.caption("A lead matches a rule when it meets every condition the rule states; empty cells mean any value.")
    rules, priority = views.rules_editor(territory)
    proposal = {"territory": territory.id, "version": territory.version, "rules": rules, "priority": priority}
    if st.button("Preview change", key="terr_preview"):
        result = fetch(preview_rule_change, territory_id=territory.id, rules=rules, priority=priority, actor=user)
        st.session_state["terr_previewed"] = (proposal, result)
    previewed = st.session_state.get("terr_previewed")
    if previewed is not None and previewed[0] == proposal:
        views.preview_result(previewed[1], applied=False)
        if st.button("Apply change", key="terr_apply", type="primary"):
            result = perform(
                apply_rule_change, territory_id=territory.id, rules=rules, priority=priority,
                expected_version=territory.version, actor=user,
            )  # fmt: skip
            if result is not None:
                st.session_state.pop("terr_previewed", None)
                forget_lookups()
                flash(f"{territory.name}: rules saved; {result.leads_moving:,} open leads moved.")
                st.rerun()
    else:
        st.caption("Preview the change to see how many open leads would move before applying it.")

with st.expander("New territory", expanded=not territories):
    with st.form("new_territory"):
        name = st.text_input("Territory name", key="nt_name")
        region = st.text_input("Region", key="nt_region")
        new_priority = st.number_input("Priority", value=100, step=10, key="nt_priority")
        submitted = st.form_submit_button("Create territory", key="nt_submit")
    if submitted and perform(
        create_territory, name=name.strip(), region=region.strip() or None, priority=int(new_priority), actor=user
    ) is not None:  # fmt: skip
        forget_lookups()
        flash(f"Territory {name.strip()} created.")
        st.rerun()
