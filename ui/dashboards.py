"""What every dashboard page shares: the warehouse guard, cached metric calls, tables with CSV export,
and drill-down from a chart or a table row to the records behind it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import duckdb
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from analytics import conversion, deals, overview, pipeline, records, team
from analytics.dimensions import filter_options
from analytics.filters import MetricFilter
from core.warehouse import WarehouseMissing, warehouse_file
from crm.csv_export import safe_csv_bytes
from models.domain import title_case
from ui.charts import selected_key

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


_RATE_WORDS = ("rate", "share", "coverage", "attainment", "stage_conversion", "pipeline_to_quota", "wape", "bias")
_MONEY_WORDS = ("amount", "quota", "deal_size", "velocity", "predicted", "actual", "forecast", "quarter_")
_MONEY_NAMES = ("p10", "p50", "p90", "mean")  # forecast quantiles of won value


def _is_probability(name: str) -> bool:
    return name.startswith("p_") or name.endswith("probability") or name.endswith("_chance")


def column_config(frame: pl.DataFrame) -> dict[str, Any]:
    """Readable headers and units for a metric frame: $ for money, % for rates, days; ids hidden."""
    config: dict[str, Any] = {}
    for name in frame.columns:
        label = name.replace("_", " ").capitalize()
        if (name == "key" and "label" in frame.columns) or name.endswith("_id") or name.endswith("small_sample"):
            config[name] = None
        elif name == "label":
            config[name] = st.column_config.TextColumn("Name")
        elif name == "win_probability":  # added by ui.model_scores.with_win_chance when a model is trained
            config[name] = st.column_config.NumberColumn("Model win chance", format="percent")
        elif name == "model_reasons":
            config[name] = st.column_config.TextColumn("Why (model)")
        elif _is_probability(name) and frame.schema[name].is_numeric():
            config[name] = st.column_config.NumberColumn(label, format="percent")
        elif name in _MONEY_NAMES and frame.schema[name].is_numeric():
            config[name] = st.column_config.NumberColumn(name.upper(), format="dollar", step=1)
        elif any(w in name for w in _RATE_WORDS) and frame.schema[name].is_numeric():
            config[name] = st.column_config.NumberColumn(label, format="percent")
        elif any(w in name for w in _MONEY_WORDS) and not name.startswith("count") and frame.schema[name].is_numeric():
            config[name] = st.column_config.NumberColumn(label, format="dollar", step=1)
        elif "days" in name and frame.schema[name].is_numeric():
            config[name] = st.column_config.NumberColumn(label, format="%.1f days")
        else:
            config[name] = st.column_config.Column(label)
    return config


_DOMAIN_CODE = r"^[a-z][a-z0-9_]*$"


def domain_values_in_title_case(frame: pl.DataFrame) -> pl.DataFrame:
    """Show stored domain values (``closed_won``, ``paid_search``) in Title Case; other text as it is."""
    exprs = []
    for name, dtype in frame.schema.items():
        if name == "key" or name.endswith("_id"):
            continue  # identifiers stay as stored
        if dtype == pl.String and frame.height and frame[name].drop_nulls().str.contains(_DOMAIN_CODE).all():
            exprs.append(pl.col(name).map_elements(title_case, return_dtype=pl.String))
    return frame.with_columns(exprs) if exprs else frame


def data_table(
    frame: pl.DataFrame, *, key: str, filename: str, select: bool = False, export: pl.DataFrame | None = None
) -> int | None:
    """A table with a CSV download (of ``export`` when given, else the table); with ``select``, the picked row."""
    shown = dict(hide_index=True, width="stretch", column_config=column_config(frame))
    display = domain_values_in_title_case(frame)
    if select:
        event = st.dataframe(display, key=key, on_select="rerun", selection_mode="single-row", **shown)
        rows = event["selection"]["rows"] if event else []
    else:
        st.dataframe(display, key=key, **shown)
        rows = []
    exported = frame if export is None else export
    st.download_button(
        "Download CSV",
        data=safe_csv_bytes(exported.to_dicts(), exported.columns),
        file_name=f"{filename}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
    )
    return rows[0] if rows else None


def chart(fig: go.Figure, *, key: str) -> str | None:
    """Show a figure whose points can be clicked; the clicked segment's key, if any."""
    event = st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", width="stretch")
    return selected_key(event)


def chart_and_table(
    fig: go.Figure, frame: pl.DataFrame, *, column: str, chart_key: str, table_key: str, filename: str
) -> Any:
    """A clickable chart above its table (with CSV export): the picked row's ``column``, else the clicked key."""
    clicked = chart(fig, key=chart_key)
    row = data_table(frame, key=table_key, filename=filename, select=True)
    return frame[column][row] if row is not None else clicked


def drilldown(title: str, frame: pl.DataFrame, *, key: str) -> None:
    """The records behind an aggregate, under a heading, with CSV export."""
    st.subheader(title)
    if empty_state(frame, "No records behind this figure in the current filters."):
        return
    if frame.height >= 5000:
        st.caption("Showing the first 5,000 records.")
    data_table(frame, key=key, filename=key)
