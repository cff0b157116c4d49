"""Backtest: the forecast recomputed as of past days (rolling origins) and compared with what was then won.

For each origin whose whole horizon has been observed, the win model is retrained on deals closed before that
day only (or falls back to stage rates when that history is thin), the pipeline is the one that stood that day
(stage history), and the forecast is compared with the won value that closed in the horizon. Origins are the
last month-ends when there are enough of them, else weekly days back from the last complete month-end.

Two baselines: the stage-weighted pipeline (Σ amount × probability of deals open that day with an expected
close in the horizon, the ``weighted_amount`` definition of analytics.pipeline) and "same as last period" (won
value in the equally long period ending that day). The comparison is paired (same origins): the WAPE
difference with a block-bootstrap interval over the origins.

Bands: the simulation's P10–P90 is re-scaled from the origins' residuals (analytics.calibration); coverage is
reported for the raw band and, out of sample, for the calibrated one (each origin's band calibrated on the
residuals of the origins more than BLOCK_DAYS away from it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from analytics.calibration import LEVELS, Calibration, calibrate_units, fit_calibration
from analytics.deal_features import data_end
from analytics.filters import MetricFilter
from analytics.forecast import forecast, month_add
from analytics.pipeline import weighted_pipeline_on
from analytics.query import Source, run
from analytics.win_model import train_win_model

METHODS = ("forecast", "stage_weighted_pipeline", "last_period_actual")
LABELS = {
    "forecast": "forecast",
    "stage_weighted_pipeline": "stage-weighted pipeline",
    "last_period_actual": "same as last period",
}
DEFAULT_ORIGINS = 20
MIN_HISTORY_DAYS = 180  # an origin needs this much history before it
BLOCK_DAYS = 14  # origins this close to the one being checked (its neighbours) are left out of its calibration
BOOTSTRAP = 2000
INTERVAL = 0.90  # the bootstrap interval of the WAPE difference


@dataclass
class BacktestReport:
    """What a backtest found: per origin (points), per origin × level × key (units), accuracy per method."""

    points: pl.DataFrame
    units: pl.DataFrame
    summary: pl.DataFrame
    calibration: Calibration
    verdict: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def backtest_dates(*, origins: int, months: int, con: Source = None) -> list[dt.date]:
    """The last ``origins`` origins whose following ``months`` calendar months have fully passed.

    Month-ends when there are enough with at least MIN_HISTORY_DAYS of history before them, else every 7 days
    back from the last such month-end (the data allowing).
    """
    closes = run("SELECT max(closed_on) AS last FROM opportunities", con=con)["last"][0]
    last = min(data_end(con=con), closes) if closes is not None else data_end(con=con)
    first_incomplete = month_add(last + dt.timedelta(days=1), 0)
    latest = month_add(first_incomplete, -months) - dt.timedelta(days=1)
    first = run("SELECT min(created_on) AS first FROM opportunities", con=con)["first"][0]
    if first is None:
        return []
    earliest = first + dt.timedelta(days=MIN_HISTORY_DAYS)
    month_ends = [month_add(latest + dt.timedelta(days=1), -k) - dt.timedelta(days=1) for k in range(origins)]
    month_ends = [d for d in month_ends if d > earliest]
    if len(month_ends) >= origins:
        return sorted(month_ends)
    weekly = [latest - dt.timedelta(days=7 * k) for k in range(origins)]
    return sorted(d for d in weekly if d > earliest)


def won_between(
    start: dt.date, end: dt.date, *, visible_owner_ids: tuple[str, ...] | None = None, con: Source = None
) -> pl.DataFrame:
    """Won value per owner closed on UTC days start..end (inclusive), of the visible owners."""
    owners, params = MetricFilter(visible_owner_ids=visible_owner_ids).where()
    return run(
        f"""
        SELECT coalesce(CAST(owner_id AS VARCHAR), '(none)') AS key, CAST(sum(amount) AS DOUBLE) AS won
        FROM opportunities WHERE is_won AND closed_on >= ? AND closed_on <= ? AND {owners} GROUP BY ALL
        """,
        [start, end, *params],
        con=con,
    )


def stage_weighted_pipeline(
    as_of: dt.date, horizon_end: dt.date, *, visible_owner_ids: tuple[str, ...] | None = None, con: Source = None
) -> float:
    """Σ amount × stage probability of deals open at the end of ``as_of`` expected to close in the horizon."""
    filters = MetricFilter(visible_owner_ids=visible_owner_ids)
    return weighted_pipeline_on(as_of, filters, closing_by=horizon_end, con=con)


def last_period_actual(
    as_of: dt.date, horizon_end: dt.date, *, visible_owner_ids: tuple[str, ...] | None = None, con: Source = None
) -> float:
    """ "Same as last period": won value in the period as long as the horizon that ends on ``as_of``."""
    days = (horizon_end - as_of).days
    start = as_of - dt.timedelta(days=days - 1)
    return float(won_between(start, as_of, visible_owner_ids=visible_owner_ids, con=con)["won"].sum())


def baselines(
    as_of: dt.date, horizon_end: dt.date, *, visible_owner_ids: tuple[str, ...] | None = None, con: Source = None
) -> dict[str, float]:
    """Both baselines' values for the horizon after ``as_of`` (what the page shows beside the forecast)."""
    return {
        "stage_weighted_pipeline": stage_weighted_pipeline(
            as_of, horizon_end, visible_owner_ids=visible_owner_ids, con=con
        ),
        "last_period_actual": last_period_actual(as_of, horizon_end, visible_owner_ids=visible_owner_ids, con=con),
    }


def backtest(
    *,
    origins: int = DEFAULT_ORIGINS,
    months: int = 3,
    simulations: int = 500,
    con: Source = None,
    seed: int = 0,
) -> BacktestReport:
    """Run the rolling-origin backtest and summarise it (see the module's docstring)."""
    rows: list[dict] = []
    units: list[dict] = []
    for as_of in backtest_dates(origins=origins, months=months, con=con):
        model = train_win_model(before=as_of + dt.timedelta(days=1), con=con, seed=seed)
        result = forecast(as_of=as_of, months=months, model=model, con=con, simulations=simulations, seed=seed)
        end = result.horizon_end
        actual_owner = won_between(as_of + dt.timedelta(days=1), end, con=con)
        actual = float(actual_owner["won"].sum())
        rows.append(
            {
                "as_of": as_of,
                "horizon_end": end,
                "actual": actual,
                "p10": result.totals["p10"],
                "p50": result.totals["p50"],
                "p90": result.totals["p90"],
                **baselines(as_of, end, con=con),
                "from_open_pipeline": float(result.by_month["from_open_pipeline"].sum()),
                "from_new_pipeline": float(result.by_month["from_new_pipeline"].sum()),
                "probability_source": result.probability_source,
                "auc": (model.card.get("test") or {}).get("auc"),
                "stage_auc": (model.card.get("stage_baseline") or {}).get("auc"),
            }
        )
        units.append({"as_of": as_of, "level": "total", "key": "total", **_band(result.totals), "actual": actual})
        for month in result.by_month.iter_rows(named=True):
            start = max(month["month"], as_of + dt.timedelta(days=1))
            month_end = month_add(month["month"], 1) - dt.timedelta(days=1)
            won = float(won_between(start, month_end, con=con)["won"].sum())
            units.append({"as_of": as_of, "level": "month", "key": str(month["month"]), **_band(month), "actual": won})
        owners = result.by_group.filter(pl.col("dimension") == "owner").join(actual_owner, on="key", how="left")
        for r in owners.iter_rows(named=True):
            units.append({"as_of": as_of, "level": "owner", "key": r["key"], **_band(r), "actual": r["won"] or 0.0})
    points = pl.DataFrame(rows)
    unit_frame = pl.DataFrame(
        units,
        schema={
            "as_of": pl.Date,
            "level": pl.String,
            "key": pl.String,
            "p10": pl.Float64,
            "p50": pl.Float64,
            "p90": pl.Float64,
            "actual": pl.Float64,
        },
    )
    unit_frame = calibrate_units(unit_frame, block_days=BLOCK_DAYS)
    summary = summarise(points, unit_frame, seed=seed)
    report = BacktestReport(
        points=_with_calibrated_totals(points, unit_frame),
        units=unit_frame,
        summary=summary,
        calibration=fit_calibration(unit_frame),
        extra={"months": months, "simulations": simulations},
    )
    report.verdict = verdict(summary)
    return report


def run_backtest(
    *, points: int = 6, months: int = 3, simulations: int = 500, con: Source = None, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The backtest's per-origin rows and accuracy summary (see ``backtest``)."""
    report = backtest(origins=points, months=months, simulations=simulations, con=con, seed=seed)
    return report.points, report.summary


def _band(row: dict) -> dict[str, float]:
    return {"p10": float(row["p10"]), "p50": float(row["p50"]), "p90": float(row["p90"])}


def _with_calibrated_totals(points: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    if points.height == 0:
        return points
    totals = units.filter(pl.col("level") == "total").select(
        "as_of", pl.col("cal_p10").alias("calibrated_p10"), pl.col("cal_p90").alias("calibrated_p90")
    )
    return points.join(totals, on="as_of", how="left")


def wape(predicted: np.ndarray, actual: np.ndarray) -> float | None:
    """Σ|predicted − actual| / Σ actual (None when nothing was won)."""
    total = float(actual.sum())
    return float(np.abs(predicted - actual).sum() / total) if total else None


def block_bootstrap_wape_difference(
    first: np.ndarray, second: np.ndarray, actual: np.ndarray, *, block: int, seed: int = 0
) -> tuple[float, float]:
    """INTERVAL bootstrap interval of WAPE(first) − WAPE(second) over the same origins.

    Circular block bootstrap (blocks of ``block`` consecutive origins: overlapping horizons are correlated).
    """
    n = len(actual)
    rng = np.random.default_rng(seed)
    block = max(1, min(block, n))
    starts = rng.integers(0, n, size=(BOOTSTRAP, int(np.ceil(n / block))))
    index = ((starts[:, :, None] + np.arange(block)[None, None, :]) % n).reshape(BOOTSTRAP, -1)[:, :n]
    err_f = np.abs(first - actual)[index].sum(axis=1)
    err_b = np.abs(second - actual)[index].sum(axis=1)
    totals = actual[index].sum(axis=1)
    diffs = (err_f - err_b) / np.where(totals > 0, totals, np.nan)
    diffs = diffs[np.isfinite(diffs)]
    if diffs.size == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.quantile(diffs, [(1 - INTERVAL) / 2, (1 + INTERVAL) / 2])
    return float(lo), float(hi)


def summarise(points: pl.DataFrame, units: pl.DataFrame | None = None, *, seed: int = 0) -> pl.DataFrame:
    """Per method: WAPE, bias, the paired WAPE difference to the forecast with its interval, and coverage.

    WAPE = Σ|F − A| / Σ A and bias = Σ(F − A) / Σ A over the origins (the forecast's P50). For the forecast,
    the share of actuals inside P10–P90 per level (total, month, owner): raw (the simulation's band) and
    calibrated (out of sample). ``wape_minus_forecast`` > 0 means the method was worse than the forecast.
    """
    schema = {
        "method": pl.String,
        "label": pl.String,
        "count_dates": pl.Int64,
        "wape": pl.Float64,
        "bias": pl.Float64,
        "wape_minus_forecast": pl.Float64,
        "difference_low": pl.Float64,
        "difference_high": pl.Float64,
        **{f"coverage_{level}": pl.Float64 for level in ("total", "months", "owners")},
        **{f"raw_coverage_{level}": pl.Float64 for level in ("total", "months", "owners")},
        "count_months": pl.Int64,
        "count_owner_periods": pl.Int64,
    }
    if points.height == 0:
        return pl.DataFrame(schema=schema)
    actual = points["actual"].to_numpy()
    total = actual.sum()
    forecast_values = points["p50"].to_numpy()
    span = float((points["horizon_end"] - points["as_of"]).dt.total_days().cast(pl.Float64).mean() or 0.0)  # type: ignore[arg-type]
    step = max(1.0, float(np.median(np.diff(points["as_of"].to_numpy()).astype("timedelta64[D]").astype(float))))
    block = max(1, min(round(span / step), points.height // 4))
    coverage: dict[str, Any] = {}
    for level, name in zip(LEVELS, ("total", "months", "owners"), strict=True):
        rows = units.filter(pl.col("level") == level) if units is not None else pl.DataFrame()
        if rows.height:
            a = rows["actual"]
            coverage[f"raw_coverage_{name}"] = float(((rows["p10"] <= a) & (a <= rows["p90"])).mean())  # type: ignore[arg-type]
            inside = (rows["cal_p10"] <= a) & (a <= rows["cal_p90"])
            coverage[f"coverage_{name}"] = float(inside.mean())  # type: ignore[arg-type]
    out = []
    for method, column in zip(METHODS, ("p50", "stage_weighted_pipeline", "last_period_actual"), strict=True):
        predicted = points[column].to_numpy()
        row: dict[str, Any] = {
            "method": method,
            "label": LABELS[method],
            "count_dates": points.height,
            "wape": wape(predicted, actual),
            "bias": float((predicted - actual).sum() / total) if total else None,
        }
        if method == "forecast":
            row.update(coverage)
            row["count_months"] = units.filter(pl.col("level") == "month").height if units is not None else None
            row["count_owner_periods"] = units.filter(pl.col("level") == "owner").height if units is not None else None
        elif total:
            row["wape_minus_forecast"] = float(
                (np.abs(predicted - actual).sum() - np.abs(forecast_values - actual).sum()) / total
            )
            low, high = block_bootstrap_wape_difference(predicted, forecast_values, actual, block=block, seed=seed)
            row["difference_low"], row["difference_high"] = low, high
        out.append(row)
    return pl.DataFrame(out, schema=schema)


def best_method(summary: pl.DataFrame) -> str | None:
    """The method with the lowest WAPE over the backtest (None without a backtest)."""
    rows = summary.filter(pl.col("wape").is_not_null())
    if rows.height == 0:
        return None
    return str(rows.sort("wape").row(0, named=True)["method"])


def verdict(summary: pl.DataFrame) -> str:
    """One plain sentence: which method has been most accurate on this data, by how much, and the noise."""
    best = best_method(summary)
    if best is None:
        return "No backtest result: too little history for a past origin with a fully observed horizon."
    rows = {r["method"]: r for r in summary.iter_rows(named=True)}
    f = rows["forecast"]
    n = f["count_dates"]
    if best == "forecast":
        others = [r for m, r in rows.items() if m != "forecast" and r["wape"] is not None]
        runner = min(others, key=lambda r: r["wape"]) if others else None
        text = f"The forecast has been the most accurate method on this data: WAPE {f['wape']:.1%} over {n} origins"
        if runner is None:
            return text + "."
        text += (
            f", against {runner['wape']:.1%} for {runner['label']} (the forecast is "
            f"{runner['wape_minus_forecast'] * 100:.1f} points better, "
            f"{INTERVAL:.0%} interval {runner['difference_low'] * 100:.1f} to {runner['difference_high'] * 100:.1f})"
        )
        if runner["difference_low"] is not None and runner["difference_low"] <= 0:
            text += "; the difference is within the noise"
        return text + "."
    b = rows[best]
    text = (
        f"On this data {b['label']} has been more accurate than the forecast: WAPE {b['wape']:.1%} against "
        f"{f['wape']:.1%} over {n} origins (the forecast is {b['wape_minus_forecast'] * -100:.1f} points worse, "
        f"{INTERVAL:.0%} interval {-b['difference_high'] * 100:.1f} to {-b['difference_low'] * 100:.1f})"
    )
    if b["difference_high"] is not None and b["difference_high"] >= 0:
        text += "; the difference is within the noise"
    return text + "."
