"""The top of every dashboard page: sign-in check, warehouse check, title, freshness and the filter panel."""

from __future__ import annotations

import streamlit as st

from analytics.filters import MetricFilter
from ui.dashboards import options, require_warehouse
from ui.filters import current_filters, filter_panel
from ui.freshness import freshness_caption
from ui.session import require_user


def start_dashboard(title: str) -> MetricFilter:
    """Render the page header and return the filter the page should compute with."""
    user = require_user()
    st.title(title)
    mtime = require_warehouse()
    freshness_caption(mtime)
    filters = current_filters(user)
    filter_panel(filters, options(filters))
    scope = {"rep": "your own deals and leads", "manager": "your team's numbers"}.get(user.role)
    if scope:
        st.caption(f"Showing {scope}.")
    return filters


def section(choices: list[str], *, key: str) -> str:
    """A section picker kept in the URL (``?view=``), so a page computes and draws only what is shown."""
    wanted = st.query_params.get("view")
    if key not in st.session_state:
        st.session_state[key] = wanted if wanted in choices else choices[0]
    chosen = st.segmented_control("Show", choices, key=key, label_visibility="collapsed") or choices[0]
    if chosen == choices[0]:
        if "view" in st.query_params:
            del st.query_params["view"]
    elif st.query_params.get("view") != chosen:
        st.query_params["view"] = chosen
    return chosen
