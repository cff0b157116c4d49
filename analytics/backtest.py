"""Backtest: the forecast recomputed as of past month-ends and compared with what was then won.

For each of the last ``points`` month-ends whose whole horizon has been observed, the win model is retrained
on deals closed before that day only (or falls back to stage rates when that history is thin), the pipeline is
the one that stood that day (stage history), and the forecast is compared with the won value that closed in
the horizon. Two baselines: the stage-weighted pipeline (Σ amount × probability of deals open that day with
an expected close in the horizon, the ``weighted_amount`` definition of analytics.pipeline) and the last
period's actual (won value in the equally long period ending that day).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from analytics.deal_features import data_end
from analytics.forecast import forecast, month_add
from analytics.pipeline import weighted_pipeline_on
from analytics.query import Source, run
from analytics.win_model import train_win_model

METHODS = ("forecast", "stage_weighted_pipeline", "last_period_actual")


def backtest_dates(*, points: int, months: int, con: Source = None) -> list[dt.date]:
    """The last ``points`` month-ends whose following ``months`` months have fully passed (up to the last close)."""
    closes = run("SELECT max(closed_on) AS last FROM opportunities", con=con)["last"][0]
    last = min(data_end(con=con), closes) if closes is not None else data_end(con=con)
    first_incomplete = month_add(last + dt.timedelta(days=1), 0)
    latest_start = month_add(first_incomplete, -months)
    first = run("SELECT min(created_on) AS first FROM opportunities", con=con)["first"][0]
    dates = [month_add(latest_start, -k) - dt.timedelta(days=1) for k in range(points)]
    return sorted(d for d in dates if first is not None and d > first + dt.timedelta(days=180))


def won_between(start: dt.date, end: dt.date, *, con: Source = None) -> pl.DataFrame:
    """Won value per owner closed on UTC days start..end (inclusive)."""
    return run(
        """
        SELECT coalesce(CAST(owner_id AS VARCHAR), '(none)') AS key, CAST(sum(amount) AS DOUBLE) AS won
        FROM opportunities WHERE is_won AND closed_on >= ? AND closed_on <= ? GROUP BY ALL
        """,
        [start, end],
        con=con,
    )


def stage_weighted_pipeline(as_of: dt.date, horizon_end: dt.date, *, con: Source = None) -> float:
    """Σ amount × stage probability of deals open at the end of ``as_of`` expected to close in the horizon."""
    return weighted_pipeline_on(as_of, closing_by=horizon_end, con=con)


def run_backtest(
    *, points: int = 6, months: int = 3, simulations: int = 500, con: Source = None, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per backtest date: actual, forecast band and baselines (rows), and the accuracy of each method (summary).

    Summary per method: WAPE = Σ|forecast − actual| / Σ actual and bias = Σ(forecast − actual) / Σ actual over
    the dates (the forecast's P50), and for the forecast the share of actuals inside P10–P90 — over the
    horizon totals, over the months, and over the owners.
    """
    rows, month_hits, owner_hits = [], [], []
    for as_of in backtest_dates(points=points, months=months, con=con):
        model = train_win_model(before=as_of + dt.timedelta(days=1), con=con, seed=seed)
        result = forecast(as_of=as_of, months=months, model=model, con=con, simulations=simulations, seed=seed)
        end = result.horizon_end
        actual_owner = won_between(as_of + dt.timedelta(days=1), end, con=con)
        actual = float(actual_owner["won"].sum())
        period_days = (end - as_of).days
        last_period = float(won_between(as_of - dt.timedelta(days=period_days - 1), as_of, con=con)["won"].sum())
        rows.append(
            {
                "as_of": as_of,
                "horizon_end": end,
                "actual": actual,
                "p10": result.totals["p10"],
                "p50": result.totals["p50"],
                "p90": result.totals["p90"],
                "stage_weighted_pipeline": stage_weighted_pipeline(as_of, end, con=con),
                "last_period_actual": last_period,
                "probability_source": result.probability_source,
                "auc": (model.card.get("test") or {}).get("auc"),
            }
        )
        for month in result.by_month.iter_rows(named=True):
            month_end = month_add(month["month"], 1) - dt.timedelta(days=1)
            won = float(won_between(month["month"], month_end, con=con)["won"].sum())
            month_hits.append(month["p10"] <= won <= month["p90"])
        owners = result.by_group.filter(pl.col("dimension") == "owner").join(actual_owner, on="key", how="left")
        for r in owners.iter_rows(named=True):
            owner_hits.append(r["p10"] <= (r["won"] or 0.0) <= r["p90"])
    points_frame = pl.DataFrame(rows)
    return points_frame, summarise(points_frame, month_hits=month_hits, owner_hits=owner_hits)


def summarise(points: pl.DataFrame, *, month_hits: list[bool], owner_hits: list[bool]) -> pl.DataFrame:
    """WAPE, bias and (for the forecast) P10–P90 coverage of each method over the backtest dates."""
    if points.height == 0:
        return pl.DataFrame(schema={"method": pl.String, "wape": pl.Float64, "bias": pl.Float64})
    actual = points["actual"].to_numpy()
    total = actual.sum()
    out = []
    for method, column in zip(METHODS, ("p50", "stage_weighted_pipeline", "last_period_actual"), strict=True):
        predicted = points[column].to_numpy()
        inside = (points["p10"] <= points["actual"]) & (points["actual"] <= points["p90"])
        out.append(
            {
                "method": method,
                "count_dates": points.height,
                "wape": float(np.abs(predicted - actual).sum() / total) if total else None,
                "bias": float((predicted - actual).sum() / total) if total else None,
                "coverage_total": float(inside.mean()) if method == "forecast" else None,  # type: ignore[arg-type]
                "coverage_months": float(np.mean(month_hits)) if method == "forecast" and month_hits else None,
                "coverage_owners": float(np.mean(owner_hits)) if method == "forecast" and owner_hits else None,
                "count_months": len(month_hits) if method == "forecast" else None,
                "count_owner_periods": len(owner_hits) if method == "forecast" else None,
            }
        )
    return pl.DataFrame(out)
