"""Pipeline: open pipeline by stage, owner, team and territory; trend; change waterfall; stale deals."""

import datetime as dt

import streamlit as st

from analytics.pipeline import deals_behind_change, pipeline_change_summary
from ui import charts
from ui.dashboards import (
    chart,
    chart_and_table,
    data_table,
    drilldown,
    empty_state,
    metric,
    require_warehouse,
    stale_deals,
)
from ui.dashboards_page import section, start_dashboard
from ui.format import escape, plural
from ui.kpi import format_value
from ui.model_scores import model_weighted_pipeline, weighted_caption, with_win_chance

NO_OPEN = "No open opportunities in these filters — widen the filters or create opportunities under Work."


def show_now(filters) -> None:
    """Totals and open pipeline per segment, with drill-down from a bar or a row."""
    by_stage = metric("open_pipeline_by", filters, "stage")
    modelled = model_weighted_pipeline(filters, require_warehouse())
    totals = st.container(key="kpis_pipeline").columns(4 if modelled else 3)
    totals[0].metric("Open pipeline", format_value(by_stage["amount"].sum(), "$"), border=True)
    totals[1].metric("Weighted pipeline", format_value(by_stage["weighted_amount"].sum(), "$"), border=True)
    if modelled:
        totals[2].metric("Model-weighted pipeline", format_value(modelled["amount"], "$"), border=True)
    totals[-1].metric("Open deals", format_value(by_stage["count_open"].sum(), "deals"), border=True)
    if modelled:
        st.caption("Weighted: each open deal × its stage probability. " + weighted_caption(modelled))
    st.subheader("Open pipeline now")
    dimension = st.segmented_control(
        "Group by", ["stage", "owner", "team", "territory"], format_func=str.title, default="stage",
        key="pipeline_dimension",
    ) or "stage"  # fmt: skip
    segments = by_stage if dimension == "stage" else metric("open_pipeline_by", filters, dimension)
    if empty_state(segments.filter(segments["count_open"] > 0), NO_OPEN):
        return
    picked = chart_and_table(
        charts.pipeline_by_segment(segments, segment=dimension),
        segments,
        column="key",
        chart_key=f"pipeline_{dimension}_chart",
        table_key=f"pipeline_{dimension}_table",
        filename=f"open_pipeline_by_{dimension}",
        labels={"label": dimension.title()},
    )
    if not picked:
        st.caption("Click a bar or pick a row to see the deals behind it.")
        return
    label = segments.filter(segments["key"] == picked)["label"]
    drilldown(
        f"Open deals: {escape(charts.display_label(label[0] if label.len() else picked))}",
        with_win_chance(metric("deals_behind", filters, state="open", dimension=dimension, key=picked)),
        key="pipeline_segment_deals",
    )


def show_trend(filters) -> None:
    """Open pipeline at the end of each day of the range, per stage; the deals open on a picked day."""
    st.subheader("Trend")
    if filters.sources:
        st.caption("The trend ignores the Source filter: the daily pipeline snapshots carry no lead source.")
    trend = metric("pipeline_trend", filters)
    if empty_state(trend, "No pipeline history in this date range — widen the dates."):
        return
    picked = chart(charts.pipeline_trend_chart(trend), key="pipeline_trend_chart")
    day, stage = (dt.date.fromisoformat(picked), None) if picked else (None, None)
    row = data_table(trend, key="pipeline_trend_table", filename="pipeline_trend", select=True)
    if row is not None:
        day, stage = trend["snapshot_on"][row], trend["stage"][row]
    if day is None:
        st.caption("Click a point or pick a row to see the deals open at the end of that day.")
        return
    of_stage = f" in {escape(charts.display_label(stage))}" if stage else ""
    drilldown(
        f"Deals open at the end of {day}{of_stage}",
        with_win_chance(metric("deals_open_on", filters, day, stage=stage)),
        key="pipeline_trend_deals",
    )


def show_changes(filters) -> None:
    """The waterfall between two days, with the deals behind each step."""
    st.subheader("What changed")
    columns = st.columns(2)
    from_day = columns[0].date_input("From (end of day)", value=filters.start_on, key="pipeline_from_day")
    to_day = columns[1].date_input("To (end of day)", value=filters.end_on, key="pipeline_to_day")
    if not from_day or not to_day:
        return
    if from_day > to_day:
        st.warning("The first day must be before the second — swap the dates.")
        return
    changes = metric("pipeline_changes", filters, from_day, to_day)
    if empty_state(changes, "No open deals on either day — pick other dates."):
        return
    summary = pipeline_change_summary(changes)
    step = chart_and_table(
        charts.change_waterfall(summary),
        summary,
        column="step",
        chart_key="pipeline_waterfall",
        table_key="pipeline_change_summary",
        filename="pipeline_changes_summary",
    )
    moved = dict(summary.select("step", "count_deals").rows())
    st.caption(
        f"Close dates pulled in: {plural(moved['pulled_in'], 'deal')} · "
        f"pushed out: {plural(moved['pushed_out'], 'deal')}. "
        "Click a bar or pick a row to see the deals."
    )
    if step:
        drilldown(
            f"Deals behind “{escape(charts.display_label(step))}” ({from_day} → {to_day})",
            with_win_chance(deals_behind_change(changes, step)),
            key="pipeline_change_deals",
        )


def show_stale(filters) -> None:
    """Open deals stuck in their stage beyond the stage's P90."""
    st.subheader("Stale deals")
    st.caption("Open deals that have been in their stage longer than 90 % of past visits to that stage (its P90).")
    stale = with_win_chance(
        stale_deals(filters, as_of=dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0))
    )
    if empty_state(stale, "No stale deals in these filters — nothing is stuck beyond its stage's P90."):
        return
    more = " (first 500 shown; the CSV has all)." if stale.height > 500 else "."
    st.caption(f"{plural(stale.height, 'stale deal')}, most overdue first{more}")
    data_table(stale.head(500), key="pipeline_stale", filename="stale_deals", export=stale)


filters = start_dashboard("Pipeline")
SECTIONS = {"Now": show_now, "Trend": show_trend, "Changes": show_changes, "Stale deals": show_stale}
SECTIONS[section(list(SECTIONS), key="pipeline_view")](filters)
