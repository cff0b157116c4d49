"""Overview: headline KPIs against the previous period, and open pipeline by stage with drill-down."""

import streamlit as st

from ui import charts
from ui.dashboards import chart, drilldown, empty_state, metric
from ui.dashboards_page import start_dashboard
from ui.kpi import format_value, kpi_cards

filters = start_dashboard("Overview")
st.caption(
    f"{filters.start_on} to {filters.end_on} (UTC), compared with the {filters.days} days before. "
    "Pipeline figures are at the end of each period."
)
kpi_cards(metric("overview_kpis", filters))
velocity = metric("sales_velocity", filters).row(0, named=True)
st.caption(
    f"Sales velocity: {format_value(velocity['sales_velocity_per_day'], '$')} per day = "
    f"{velocity['count_open']:,} open deals × {format_value(velocity['win_rate'], '%')} win rate × "
    f"{format_value(velocity['average_deal_size'], '$')} average deal ÷ "
    f"{format_value(velocity['mean_cycle_days'], 'days')} mean cycle."
)

by_stage = metric("open_pipeline_by", filters, "stage")
if not empty_state(
    by_stage.filter(by_stage["count_open"] > 0),
    "No open opportunities in these filters — widen the filters or create opportunities under Work.",
):
    stage = chart(charts.pipeline_by_segment(by_stage, segment="stage"), key="overview_stage_chart")
    if stage:
        drilldown(
            f"Open deals in {stage.replace('_', ' ').title()}",
            metric("deals_behind", filters, state="open", dimension="stage", key=stage),
            key="overview_stage_deals",
        )
    else:
        st.caption("Click a bar to see the deals behind it.")

RECORDS = {
    "Open deals (now)": ("deals_behind", {"state": "open"}),
    "Deals won in range": ("deals_behind", {"state": "won"}),
    "Deals closed in range (win rate, cycle)": ("deals_behind", {"state": "closed"}),
    "Leads created in range (new leads, conversion)": ("leads_behind", {}),
}
choice = st.selectbox("Records behind the KPIs", list(RECORDS), index=None, placeholder="Choose…", key="overview_rec")
if choice:
    name, kwargs = RECORDS[choice]
    drilldown(choice, metric(name, filters, **kwargs), key="overview_records_table")
