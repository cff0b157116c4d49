"""Conversion: lead conversion by segment, cohort curves, time to convert, stage funnel, win rate, lost reasons."""

import streamlit as st

from ui import charts
from ui.dashboards import chart, data_table, drilldown, empty_state, metric
from ui.dashboards_page import start_dashboard
from ui.kpi import format_value

filters = start_dashboard("Conversion")
st.caption("Leads and deals created in the date range (UTC). Bars show a 95 % Wilson interval; n is the sample size.")

st.subheader("Lead → opportunity conversion")
dimension = st.segmented_control(
    "By",
    ["source", "owner", "team", "territory", "cohort_month"],
    format_func=lambda d: d.replace("_", " ").title(),
    default="source",
    key="conversion_dimension",
)
dimension = dimension or "source"
segments = metric("conversion_by", filters, dimension)
if not empty_state(segments, "No leads created in this range — widen the dates or clear some filters."):
    picked = chart(
        charts.rate_bars(
            segments,
            rate="conversion_rate",
            title=f"Conversion by {dimension.replace('_', ' ')}",
            x_title=dimension.replace("_", " ").title(),
        ),
        key=f"conversion_{dimension}_chart",
    )
    row = data_table(segments, key=f"conversion_{dimension}_table", filename=f"conversion_by_{dimension}", select=True)
    if row is not None:
        picked = segments["key"][row]
    if picked is not None:
        drilldown(
            f"Leads behind {charts.display_label(picked)}",
            metric("leads_behind", filters, dimension=dimension, key=picked),
            key="conversion_leads",
        )
    timing = metric("time_to_convert", filters).row(0, named=True)
    st.caption(
        f"Time to convert: median {format_value(timing['median_days'], 'days')}, "
        f"P90 {format_value(timing['p90_days'], 'days')} (n = {timing['count_converted']:,} converted leads)."
    )

st.subheader("Cohort curves")
st.caption(
    "Share of each creation-month cohort converted within k months; a young cohort only shows the months it has lived."
)
curves = metric("cohort_conversion_curves", filters)
if not empty_state(curves, "No cohort is a month old yet in this range — widen the dates back."):
    st.plotly_chart(charts.cohort_curves_chart(curves), key="conversion_cohorts", width="stretch")
    data_table(curves, key="conversion_cohort_table", filename="cohort_conversion_curves")

st.subheader("Stage funnel")
funnel = metric("stage_funnel", filters)
if not empty_state(
    funnel.filter(funnel["count_reached"] > 0), "No opportunities created in this range — widen the dates."
):
    stage = chart(charts.funnel_chart(funnel), key="conversion_funnel")
    data_table(funnel, key="conversion_funnel_table", filename="stage_funnel")
    if stage:
        drilldown(
            f"Deals created in range, now in {stage.replace('_', ' ').title()}",
            metric("deals_behind", filters, state="created", dimension="stage", key=stage),
            key="conversion_funnel_deals",
        )

st.subheader("Win rate and lost reasons")
columns = st.columns(2)
with columns[0]:
    wins = metric("win_rate", filters, by="source")
    if not empty_state(wins, "No deals closed in this range — widen the dates."):
        st.plotly_chart(
            charts.rate_bars(wins, rate="win_rate", title="Win rate by source", x_title="Source"),
            key="conversion_win_rate",
            width="stretch",
        )
with columns[1]:
    lost = metric("lost_reasons", filters)
    if not empty_state(lost, "No deals lost in this range."):
        data_table(lost, key="conversion_lost_reasons", filename="lost_reasons")
