"""Forecast and model-card views: cached model loads and forecasts, and the figures the two pages draw."""

from __future__ import annotations

import datetime as dt
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from analytics.backtest import LABELS, baselines, best_method, verdict
from analytics.forecast import Forecast, forecast, won_by_month
from analytics.model_store import (
    backtest_mtime,
    load_backtest,
    load_calibration,
    load_model,
    load_model_card,
    model_dir,
)

TRAIN_HINT = "No model is trained yet: run `python -m analytics train` (and `python -m analytics backtest`)."


def model_mtime(name: str = "win") -> float | None:
    """Modification time of a saved model (None when not trained): part of every cache key."""
    path = model_dir() / f"{name}_model.joblib"
    return path.stat().st_mtime if path.exists() else None


@st.cache_resource(show_spinner=False)
def _win_model(mtime: float) -> Any:
    return load_model("win")


@st.cache_data(ttl=600, show_spinner="Simulating the forecast…")
def cached_forecast(
    months: int,
    model_time: float,
    warehouse_time: float,
    visible_owner_ids: tuple[str, ...] | None = None,
    backtest_time: float | None = None,
) -> Forecast:
    """The forecast for ``months`` months from the warehouse's last day, with the saved win model.

    Simulated once per (months, model, warehouse, visible owners, backtest) key: its P10–P90 bands are
    calibrated on the saved backtest when there is one. ``visible_owner_ids`` (None = everyone) limits deals
    and groups to those owners.
    """
    return forecast(
        months=months,
        model=_win_model(model_time),
        visible_owner_ids=visible_owner_ids,
        calibration=load_calibration() if backtest_time is not None else None,
    )


@st.cache_data(ttl=600, show_spinner=False)
def cached_baselines(
    as_of: dt.date, horizon_end: dt.date, warehouse_time: float, visible_owner_ids: tuple[str, ...] | None = None
) -> dict[str, float]:
    """Both baselines ("same as last period", stage-weighted pipeline) for the forecast's horizon."""
    return baselines(as_of, horizon_end, visible_owner_ids=visible_owner_ids)


def saved_backtest_time() -> float | None:
    """Modification time of the saved backtest (None before the first one): part of the forecast's cache key."""
    return backtest_mtime()


def accuracy_headline(summary: pl.DataFrame | None) -> dict[str, Any] | None:
    """Which method the backtest found most accurate, and the sentence that says so (None without a backtest).

    ``best`` is ``forecast``, ``last_period_actual`` or ``stage_weighted_pipeline``; ``label`` its words.
    """
    if summary is None or "wape_minus_forecast" not in summary.columns or summary.height == 0:
        return None
    best = best_method(summary)
    if best is None:
        return None
    return {"best": best, "label": LABELS[best], "verdict": verdict(summary)}


@st.cache_data(ttl=600, show_spinner=False)
def monthly_actuals(
    before: dt.date, months: int, warehouse_time: float, visible_owner_ids: tuple[str, ...] | None = None
) -> pl.DataFrame:
    """Won value per UTC close month for the ``months`` months up to ``before`` (of the visible owners)."""
    return won_by_month(before, months, visible_owner_ids=visible_owner_ids)


def model_card(name: str) -> dict[str, Any] | None:
    """The saved card of model ``name``."""
    return load_model_card(name)


def backtest() -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The saved backtest, if any."""
    return load_backtest()


def forecast_chart(actuals: pl.DataFrame, result: Forecast) -> go.Figure:
    """Won value per month: actuals as bars, the forecast P50 line inside its P10–P90 band."""
    months = result.by_month
    fig = go.Figure()
    fig.add_bar(x=actuals["month"].to_list(), y=actuals["won"].to_list(), name="Won (actual)")
    x = months["month"].to_list()
    fig.add_scatter(x=x, y=months["p90"].to_list(), mode="lines", line={"width": 0}, name="P90", showlegend=False)
    fig.add_scatter(
        x=x, y=months["p10"].to_list(), mode="lines", line={"width": 0}, fill="tonexty", name="P10–P90 band"
    )
    fig.add_scatter(x=x, y=months["p50"].to_list(), mode="lines+markers", name="Forecast P50")
    fig.update_layout(
        title="Won value per month: actual and forecast",
        xaxis_title="Close month (UTC)",
        yaxis_title="Won value (USD)",
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig


def calibration_chart(card: dict[str, Any]) -> go.Figure:
    """Observed rate against mean predicted probability per bin on the test split, with the diagonal."""
    curve = (card.get("test") or {}).get("calibration_curve") or []
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot"}, name="Perfect calibration")
    fig.add_scatter(
        x=[b["mean_predicted"] for b in curve],
        y=[b["observed_rate"] for b in curve],
        mode="lines+markers",
        text=[f"{b['count']} rows" for b in curve],
        name="Model (test split)",
    )
    fig.update_layout(
        title="Calibration on the test split",
        xaxis_title="Predicted probability (0–1)",
        yaxis_title="Observed share (0–1)",
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig


def importance_frame(card: dict[str, Any]) -> pl.DataFrame:
    """What moves the score: permutation importance (Brier score worsening) per feature."""
    rows = card.get("importances") or []
    return pl.DataFrame(rows, schema={"label": pl.String, "importance": pl.Float64, "std": pl.Float64}, strict=False)


def metrics_frame(card: dict[str, Any]) -> pl.DataFrame:
    """AUC, Brier score and ECE of the model and of its simple baseline on the test split, with sample sizes."""
    rows = []
    for label, key in (
        ("Model", "test"),
        ("Stage-only baseline", "stage_baseline"),
        ("Source-only baseline", "source_baseline"),
    ):
        m = card.get(key)
        if m and m.get("count"):
            rows.append(
                {"model": label, "rows": m["count"], "auc": m.get("auc"), "brier": m.get("brier"), "ece": m.get("ece")}
            )
    return pl.DataFrame(
        rows, schema={"model": pl.String, "rows": pl.Int64, "auc": pl.Float64, "brier": pl.Float64, "ece": pl.Float64}
    )
