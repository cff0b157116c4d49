"""The top of every dashboard page: sign-in check, warehouse check, title, freshness and the filter panel."""

from __future__ import annotations

import streamlit as st

from analytics.filters import MetricFilter
from ui.dashboards import options, require_warehouse
from ui.filters import current_filters, filter_panel
from ui.freshness import freshness_caption
from ui.session import require_user

# Phones (< 640 px, where Streamlit stacks columns): headline figures two to a row, not one card a screen.
# Static CSS (no user text); containers keyed ``kpis…`` opt in.
PHONE_CSS = """<style>
@media (max-width: 640px) {
  [class*="st-key-kpis"] [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: 0.5rem; }
  [class*="st-key-kpis"] [data-testid="stColumn"] { min-width: calc(50% - 0.25rem) !important;
    width: calc(50% - 0.25rem) !important; flex: 1 1 calc(50% - 0.25rem) !important; }
  [class*="st-key-kpis"] [data-testid="stMetricValue"] { font-size: 1.5rem; }
}
</style>"""


def start_dashboard(title: str) -> MetricFilter:
    """Render the page header and return the filter the page should compute with."""
    user = require_user()
    st.html(PHONE_CSS)
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
