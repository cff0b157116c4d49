"""Conversion: lead conversion by segment, cohort curves, stage funnel, win rate and lost reasons."""

import streamlit as st

from ui import charts
from ui.dashboards import chart, chart_and_table, data_table, drilldown, empty_state, metric
from ui.dashboards_page import section, start_dashboard
from ui.format import escape
from ui.kpi import format_value


def show_segments(filters) -> None:
    """Lead → opportunity conversion per segment with intervals, time to convert, and the leads behind a row."""
    st.subheader("Lead → opportunity conversion")
    dimension = st.segmented_control(
        "By", ["source", "owner", "team", "territory", "cohort_month"],
        format_func=lambda d: d.replace("_", " ").title(), default="source", key="conversion_dimension",
    ) or "source"  # fmt: skip
    segments = metric("conversion_by", filters, dimension)
    if empty_state(segments, "No leads created in this range — widen the dates or clear some filters."):
        return
    title = f"Conversion by {dimension.replace('_', ' ')}"
    figure = charts.rate_bars(
        segments, rate="conversion_rate", title=title, x_title=dimension.replace("_", " ").title()
    )
    picked = chart_and_table(
        figure,
        segments,
        column="key",
        chart_key=f"conversion_{dimension}_chart",
        table_key=f"conversion_{dimension}_table",
        filename=f"conversion_by_{dimension}",
        labels={"label": dimension.replace("_", " ").capitalize()},
    )
    timing = metric("time_to_convert", filters).row(0, named=True)
    st.caption(
        f"Time to convert: median {format_value(timing['median_days'], 'days')}, "
        f"P90 {format_value(timing['p90_days'], 'days')} (n = {timing['count_converted']:,} converted leads)."
    )
    if picked is not None:
        drilldown(
            f"Leads behind {escape(charts.display_label(picked))}",
            metric("leads_behind", filters, dimension=dimension, key=picked),
            key="conversion_leads",
        )


def show_cohorts(filters) -> None:
    """Conversion curves per creation-month cohort."""
    st.subheader("Cohort curves")
    st.caption(
        "Share of each creation-month cohort converted within k months; a young cohort only shows the months "
        "it has lived, so it never looks worse just for being young."
    )
    curves = metric("cohort_conversion_curves", filters)
    if not empty_state(curves, "No cohort is a month old yet in this range — widen the dates back."):
        st.plotly_chart(
            charts.cohort_curves_chart(curves), key="conversion_cohorts", width="stretch", config=charts.PLOTLY_CONFIG
        )
        row = data_table(curves, key="conversion_cohort_table", filename="cohort_conversion_curves", select=True)
        if row is not None:
            cohort = curves["cohort_month"][row]
            drilldown(
                f"Leads of the {cohort} cohort",
                metric("leads_behind", filters, dimension="cohort_month", key=cohort),
                key="conversion_cohort_leads",
            )


def show_funnel(filters) -> None:
    """Deals created in the range reaching each stage, with the deals now in a clicked stage."""
    st.subheader("Stage funnel")
    funnel = metric("stage_funnel", filters)
    if empty_state(
        funnel.filter(funnel["count_reached"] > 0), "No opportunities created in this range — widen the dates."
    ):
        return
    stage = chart(charts.funnel_chart(funnel), key="conversion_funnel")
    data_table(funnel, key="conversion_funnel_table", filename="stage_funnel")
    if stage:
        drilldown(
            f"Deals created in range, now in {charts.display_label(stage)}",
            metric("deals_behind", filters, state="created", dimension="stage", key=stage),
            key="conversion_funnel_deals",
        )


def show_wins(filters) -> None:
    """Win rate by source with intervals, and lost reasons."""
    st.subheader("Win rate and lost reasons")
    wins = metric("win_rate", filters, by="source")
    if not empty_state(wins, "No deals closed in this range — widen the dates."):
        figure = charts.rate_bars(wins, rate="win_rate", title="Win rate by source", x_title="Source")
        source = chart_and_table(
            figure,
            wins,
            column="key",
            chart_key="conversion_win_rate",
            table_key="conversion_win_rate_table",
            filename="win_rate_by_source",
            labels={"label": "Source"},
        )
        if source is not None:
            drilldown(
                f"Deals closed in range from {escape(charts.display_label(source))}",
                metric("deals_behind", filters, state="closed", dimension="source", key=source),
                key="conversion_closed_deals",
            )
    lost = metric("lost_reasons", filters)
    if not empty_state(lost, "No deals lost in this range."):
        row = data_table(lost, key="conversion_lost_reasons", filename="lost_reasons", select=True)
        if row is not None:
            reason = lost["lost_reason"][row]
            drilldown(
                f"Deals lost for “{escape(charts.display_label(reason))}”",
                metric("deals_behind", filters, state="lost", dimension="lost_reason", key=reason),
                key="conversion_lost_deals",
            )


filters = start_dashboard("Conversion")
st.caption(
    "Leads and deals created (or closed) in the date range, UTC. Bars show a 95 % Wilson interval; n is the sample."
)
SECTIONS = {"By segment": show_segments, "Cohorts": show_cohorts, "Funnel": show_funnel, "Win rate": show_wins}
SECTIONS[section(list(SECTIONS), key="conversion_view")](filters)
