"""What every dashboard page shares: the warehouse guard, cached metric calls, tables with CSV export,
and drill-down from a chart or a table row to the records behind it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import duckdb
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from analytics import conversion, deals, overview, pipeline, records, team
from analytics.dimensions import filter_options
from analytics.filters import MetricFilter
from core.warehouse import WarehouseMissing, warehouse_file
from ui.charts import PLOTLY_CONFIG, selected_key
from ui.format import ColumnFormat, csv_bytes, display_frame

METRICS: dict[str, Callable[..., pl.DataFrame]] = {
    "overview_kpis": overview.overview_kpis,
    "open_pipeline_by": pipeline.open_pipeline_by,
    "pipeline_trend": pipeline.pipeline_trend,
    "pipeline_changes": pipeline.pipeline_changes,
    "conversion_by": conversion.conversion_by,
    "cohort_conversion_curves": conversion.cohort_conversion_curves,
    "stage_funnel": conversion.stage_funnel,
    "time_to_convert": conversion.time_to_convert,
    "win_rate": deals.win_rate,
    "average_deal_size": deals.average_deal_size,
    "sales_cycle_length": deals.sales_cycle_length,
    "sales_velocity": deals.sales_velocity,
    "stage_duration": deals.stage_duration,
    "stale_deals": deals.stale_deals,
    "lost_reasons": deals.lost_reasons,
    "rep_leaderboard": team.rep_leaderboard,
    "pipeline_coverage": team.pipeline_coverage,
    "deals_behind": records.deals_behind,
    "leads_behind": records.leads_behind,
    "deals_open_on": records.deals_open_on,
    "deals_behind_coverage": records.deals_behind_coverage,
    "stage_visits_behind": records.stage_visits_behind,
}


def serving_mtime() -> float:
    """Modification time of the serving file (a new publish changes it, and so every cache key)."""
    path = warehouse_file()
    if not path.exists():
        raise WarehouseMissing(path)
    return path.stat().st_mtime


def require_warehouse() -> float:
    """The serving file's mtime; without a warehouse, say how to build one and stop the page."""
    try:
        return serving_mtime()
    except WarehouseMissing:
        st.info(
            "There is no warehouse to report on yet. Build it with `python -m etl refresh` "
            "(it copies PostgreSQL into the dashboard warehouse), then reload this page."
        )
        st.stop()
        raise  # unreachable: st.stop() ends the script


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "__date__" in value:
        return dt.date.fromisoformat(value["__date__"])
    if isinstance(value, dict) and "__datetime__" in value:
        return dt.datetime.fromisoformat(value["__datetime__"])
    return value


@st.cache_data(ttl=60, show_spinner=False, max_entries=1000)
def _compute(name: str, args_json: str, filter_key: str, kwargs_json: str, mtime: float) -> pl.DataFrame:
    args = [_decode(a) for a in json.loads(args_json)]
    kwargs = {k: _decode(v) for k, v in json.loads(kwargs_json).items()}
    return METRICS[name](*args, filters=MetricFilter.from_key(filter_key), **kwargs)


def metric(name: str, filters: MetricFilter, *args: Any, **kwargs: Any) -> pl.DataFrame:
    """Call an analytics function through the cache, keyed by its arguments and the serving file's mtime."""
    args_json = json.dumps([_encode(a) for a in args])
    kwargs_json = json.dumps({k: _encode(v) for k, v in kwargs.items()}, sort_keys=True)
    try:
        return _compute(name, args_json, filters.to_key(), kwargs_json, require_warehouse())
    except (duckdb.CatalogException, duckdb.BinderException):
        st.error(
            "The warehouse is missing a table or column the dashboards need (it was built by an older version). "
            "Run `python -m etl refresh --full`."
        )
        st.stop()
        raise


@st.cache_data(ttl=60, show_spinner=False)
def _stage_p90(mtime: float) -> dict[str, float]:
    return deals.stage_p90_days()


def stale_deals(filters: MetricFilter, *, as_of: dt.datetime) -> pl.DataFrame:
    """Stale deals; the stage P90s are computed once per published warehouse, whatever the filter."""
    return metric("stale_deals", filters, as_of=as_of, stage_p90=_stage_p90(require_warehouse()))


@st.cache_data(ttl=60, show_spinner=False)
def _options(visible_key: str, mtime: float) -> dict[str, pl.DataFrame]:
    visible = json.loads(visible_key)
    return filter_options(None if visible is None else tuple(visible))


def options(filters: MetricFilter) -> dict[str, pl.DataFrame]:
    """Filter-panel choices within what the signed-in user may see."""
    visible = None if filters.visible_owner_ids is None else list(filters.visible_owner_ids)
    return _options(json.dumps(visible), require_warehouse())


def empty_state(frame: pl.DataFrame, message: str) -> bool:
    """Show ``message`` and return True when ``frame`` has no rows."""
    if frame.is_empty():
        st.info(message)
        return True
    return False


_NUMBER_FORMATS = {
    "money": "dollar",
    "percent": "%.1f%%",
    "days": "%.1f",
    "ratio": "%.1f×",
    "count": "localized",
    "score": "%.0f",
    "number": "%.3f",
}


def column_config(frame: pl.DataFrame, formats: list[ColumnFormat] | None = None) -> dict[str, Any]:
    """Readable headers and units for a table of ``frame`` (see ``ui.format``): ids hidden, record link pinned."""
    formats = formats if formats is not None else display_frame(frame)[1]
    config: dict[str, Any] = {}
    for fmt in formats:
        width = "large" if fmt.name in ("reasons", "model_reasons") else None
        if fmt.hidden:
            config[fmt.name] = None
        elif fmt.kind == "link":
            config[fmt.name] = st.column_config.LinkColumn(
                fmt.label, display_text="Open ↗", width="small", help="Open the record", pinned=True
            )
        elif fmt.name in frame.columns and frame.schema[fmt.name].is_numeric() and fmt.kind in _NUMBER_FORMATS:
            step = 1 if fmt.kind == "money" else None
            config[fmt.name] = st.column_config.NumberColumn(fmt.label, format=_NUMBER_FORMATS[fmt.kind], step=step)
        else:
            config[fmt.name] = st.column_config.TextColumn(fmt.label, width=width)
    return config


def data_table(
    frame: pl.DataFrame,
    *,
    key: str,
    filename: str,
    select: bool = False,
    export: pl.DataFrame | None = None,
    labels: dict[str, str] | None = None,
) -> int | None:
    """A table with a CSV download (of ``export`` when given, else the table); with ``select``, the picked row.

    Everything shown goes through ``ui.format.display_frame`` (labels, units, no None); the CSV through
    ``ui.format.csv_bytes`` (human headers, plain numbers).
    """
    display, formats = display_frame(frame)
    formats = [replace(f, label=labels[f.name]) if labels and f.name in labels else f for f in formats]
    config = column_config(display, formats)
    shown = dict(hide_index=True, width="stretch", column_config=config, placeholder="—")
    if select:
        event = st.dataframe(display, key=key, on_select="rerun", selection_mode="single-row", **shown)
        rows = event["selection"]["rows"] if event else []
    else:
        st.dataframe(display, key=key, **shown)
        rows = []
    exported = frame if export is None else export
    st.download_button(
        "Download CSV",
        data=csv_bytes(exported),
        file_name=f"{filename}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
    )
    return rows[0] if rows else None


def chart(fig: go.Figure, *, key: str) -> str | None:
    """Show a figure whose points can be clicked; the clicked segment's key, if any."""
    event = st.plotly_chart(
        fig, key=key, on_select="rerun", selection_mode="points", width="stretch", config=PLOTLY_CONFIG
    )
    return selected_key(event)


def chart_and_table(
    fig: go.Figure,
    frame: pl.DataFrame,
    *,
    column: str,
    chart_key: str,
    table_key: str,
    filename: str,
    labels: dict[str, str] | None = None,
) -> Any:
    """A clickable chart above its table (with CSV export): the picked row's ``column``, else the clicked key."""
    clicked = chart(fig, key=chart_key)
    row = data_table(frame, key=table_key, filename=filename, select=True, labels=labels)
    return frame[column][row] if row is not None else clicked


def drilldown(title: str, frame: pl.DataFrame, *, key: str) -> None:
    """The records behind an aggregate, under a heading, with CSV export."""
    st.subheader(title)
    if empty_state(frame, "No records behind this figure in the current filters."):
        return
    if frame.height >= 5000:
        st.caption("Showing the first 5,000 records.")
    data_table(frame, key=key, filename=key)
