"""Team: rep leaderboard with quota attainment, pipeline coverage for the quarter, time in stage."""

import streamlit as st

from ui import charts
from ui.dashboards import chart_and_table, data_table, drilldown, empty_state, metric
from ui.dashboards_page import section, start_dashboard
from ui.format import escape


def show_leaderboard(filters) -> None:
    """Reps ranked by won amount with prorated quota attainment; a rep's won deals on click."""
    st.subheader("Leaderboard")
    st.caption(
        "Won in the date range; quota is each rep's quarterly quota prorated to the range; open pipeline is now."
    )
    board = metric("rep_leaderboard", filters)
    if empty_state(board, "No reps with deals or quotas in these filters — widen the dates or clear filters."):
        return
    picked = chart_and_table(
        charts.attainment_bars(board),
        board,
        column="owner_id",
        chart_key="team_attainment",
        table_key="team_leaderboard",
        filename="rep_leaderboard",
    )
    if not picked:
        st.caption("Click a bar or pick a row to see the rep's won deals.")
        return
    name = board.filter(board["owner_id"] == picked)["owner_name"]
    drilldown(
        f"Deals won by {escape(name[0] if name.len() else picked)}",
        metric("deals_behind", filters, state="won", dimension="owner", key=picked),
        key="team_rep_deals",
    )


def show_coverage(filters) -> None:
    """Open pipeline closing in the quarter against the quota still to win; a row's open deals on pick."""
    st.subheader("Pipeline coverage")
    group = st.segmented_control(
        "Per", ["owner", "team"], format_func=str.title, default="owner", key="team_coverage_by"
    )
    coverage = metric("pipeline_coverage", filters, by=group or "owner")
    if empty_state(coverage, "No quota or pipeline in the quarter of the end date — pick another date range."):
        return
    quarter = f"{coverage['quarter_start_on'][0]} to {coverage['quarter_end_on'][0]}"
    st.caption(
        f"Quarter {quarter}: open pipeline expected to close in the quarter ÷ quota still to win (3× is healthy)."
    )
    label = {"label": (group or "owner").title()}
    row = data_table(coverage, key="team_coverage", filename="pipeline_coverage", select=True, labels=label)
    if row is None:
        st.caption("Pick a row to see the open deals behind its coverage.")
        return
    drilldown(
        f"Open deals of {escape(coverage['label'][row])} closing {quarter}",
        metric("deals_behind_coverage", filters, key=coverage["key"][row], by=group or "owner"),
        key="team_coverage_deals",
    )


def show_durations(filters) -> None:
    """Median and P90 days per stage over visits that ended in the range; a stage's visits on click."""
    st.subheader("Time in stage")
    durations = metric("stage_duration", filters)
    if empty_state(durations.filter(durations["count_visits"] > 0), "No stage visits ended in this range."):
        return
    picked = chart_and_table(
        charts.duration_bars(durations),
        durations,
        column="stage",
        chart_key="team_durations",
        table_key="team_durations_table",
        filename="stage_duration",
    )
    if not picked:
        st.caption("Click a bar or pick a row to see the stage visits behind it.")
        return
    drilldown(
        f"Visits to {escape(charts.display_label(picked))} that ended in the range",
        metric("stage_visits_behind", filters, stage=picked),
        key="team_stage_visits",
    )


filters = start_dashboard("Team")
SECTIONS = {"Leaderboard": show_leaderboard, "Coverage": show_coverage, "Time in stage": show_durations}
SECTIONS[section(list(SECTIONS), key="team_view")](filters)
