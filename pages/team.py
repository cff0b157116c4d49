"""Team: rep leaderboard with quota attainment, pipeline coverage for the quarter, time in stage."""

import streamlit as st

from ui import charts
from ui.dashboards import chart, data_table, drilldown, empty_state, metric
from ui.dashboards_page import start_dashboard

filters = start_dashboard("Team")

st.subheader("Leaderboard")
st.caption("Won in the date range; quota is each rep's quarterly quota prorated to the range; open pipeline is now.")
board = metric("rep_leaderboard", filters)
if not empty_state(board, "No reps with deals or quotas in these filters — widen the dates or clear filters."):
    picked = chart(charts.attainment_bars(board), key="team_attainment")
    row = data_table(board, key="team_leaderboard", filename="rep_leaderboard", select=True)
    if row is not None:
        picked = board["owner_id"][row]
    if picked:
        name = board.filter(board["owner_id"] == picked)["owner_name"]
        drilldown(
            f"Deals won by {name[0] if name.len() else picked}",
            metric("deals_behind", filters, state="won", dimension="owner", key=picked),
            key="team_rep_deals",
        )
    else:
        st.caption("Click a bar or pick a row to see the rep's won deals.")

st.subheader("Pipeline coverage")
group = st.segmented_control("Per", ["owner", "team"], format_func=str.title, default="owner", key="team_coverage_by")
coverage = metric("pipeline_coverage", filters, by=group or "owner")
if not empty_state(coverage, "No quota or pipeline in the quarter of the end date — pick another date range."):
    quarter = f"{coverage['quarter_start_on'][0]} to {coverage['quarter_end_on'][0]}"
    st.caption(
        f"Quarter {quarter}: open pipeline expected to close in the quarter ÷ quota still to win "
        "(3× or more is healthy)."
    )
    data_table(coverage, key="team_coverage", filename="pipeline_coverage")

st.subheader("Time in stage")
durations = metric("stage_duration", filters)
if not empty_state(durations.filter(durations["count_visits"] > 0), "No stage visits ended in this range."):
    st.plotly_chart(charts.duration_bars(durations), key="team_durations", width="stretch")
    data_table(durations, key="team_durations_table", filename="stage_duration")
