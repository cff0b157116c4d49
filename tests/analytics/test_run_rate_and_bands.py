"""The run rate of deals not created yet, and P10–P90 bands calibrated on backtest residuals, on known truth."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import polars as pl
import pytest

from analytics.backtest import block_bootstrap_wape_difference, summarise, verdict
from analytics.calibration import apply, calibrate_units, fit_calibration
from analytics.forecast import month_add, run_rate_cohorts, simulate_run_rate

AS_OF = dt.date(2025, 8, 31)
FIRST_RECORDED_CLOSE = dt.date(2025, 3, 1)


def _steady_business(deals_per_month: dict[dt.date, int], *, early_survivors: bool = True) -> duckdb.DuckDBPyConnection:
    """Deals created evenly through each month; of every 10, 5 are won (100 each) the same month, 3 the next.

    Like an import whose closes were only recorded from FIRST_RECORDED_CLOSE on: deals created before then
    appear only when still open (``early_survivors``), so their cohorts look as if they won nothing.
    """
    con = duckdb.connect()
    con.execute("CREATE TABLE opportunities (created_on DATE, closed_on DATE, is_won BOOLEAN, amount DECIMAL(14,2))")
    rows = []
    for month, count in deals_per_month.items():
        for i in range(count):
            created = month + dt.timedelta(days=(i * 28) // count)
            if month < FIRST_RECORDED_CLOSE:
                if early_survivors:
                    rows.append((created, None, False, 100))
                continue
            slot = i % 10
            closed = created if slot < 5 else month_add(month, 1) + dt.timedelta(days=2) if slot < 8 else None
            won = closed is not None
            if closed is not None and closed > AS_OF:
                closed, won = None, False
            rows.append((created, closed, won, 100))
    con.executemany("INSERT INTO opportunities VALUES (?, ?, ?, ?)", rows)
    return con


def _expected_new_deal_value(per_month: float) -> float:
    """Three full months after AS_OF: 50/deal in the creation month, 30/deal the month after."""
    return per_month * (50 + 80 + 80)


def test_a_run_rate_with_unobserved_early_periods_is_not_pulled_down():
    months = {month_add(dt.date(2024, 10, 1), m): 10 for m in range(11)}  # Oct 2024 … Aug 2025
    con = _steady_business(months)
    rate = run_rate_cohorts(AS_OF, 3, con=con)
    assert rate.cohorts[0] == FIRST_RECORDED_CLOSE  # cohorts before the first recorded close are not used
    assert rate.deals_per_month == pytest.approx(10, rel=0.02)
    assert np.nanmean(rate.yields[:, 0]) == pytest.approx(50, rel=0.01)
    assert np.isnan(rate.yields[-1, 1])  # August's deals closing in September: not observed yet, missing
    sims = simulate_run_rate(rate, np.ones(3), np.random.default_rng(0), 200)
    assert sims.sum(axis=1).mean() == pytest.approx(_expected_new_deal_value(10), rel=0.03)


def test_the_run_rate_follows_growth_in_deal_creation():
    months = {month_add(dt.date(2025, 3, 1), m): (10 if m < 3 else 20) for m in range(6)}  # doubled from June
    con = _steady_business(months, early_survivors=False)
    rate = run_rate_cohorts(AS_OF, 3, con=con)
    assert rate.deals_per_month == pytest.approx(20, rel=0.03)
    sims = simulate_run_rate(rate, np.ones(3), np.random.default_rng(0), 200)
    assert sims.sum(axis=1).mean() == pytest.approx(_expected_new_deal_value(20), rel=0.05)


def _units(rng: np.random.Generator, origins: int, start: dt.date) -> pl.DataFrame:
    """Backtest units whose truth is known: actual = P50 × (1 + 0.05) + noise twice as wide as the band says.

    Per origin one total, three months and 15 owners of different sizes; origins 7 days apart.
    """
    rows = []
    for o in range(origins):
        as_of = start + dt.timedelta(days=7 * o)
        for level, count, size in (("total", 1, 1_000_000.0), ("month", 3, 330_000.0), ("owner", 15, 60_000.0)):
            for k in range(count):
                p50 = size * rng.uniform(0.5, 1.5)
                half = 0.08 * p50  # the simulation's half-width (too narrow)
                actual = max(0.0, p50 * 1.05 + rng.normal(0, 2 * half / 1.2816))
                rows.append(
                    {
                        "as_of": as_of,
                        "level": level,
                        "key": f"{level}{k}",
                        "p10": p50 - half,
                        "p50": p50,
                        "p90": p50 + half,
                        "actual": actual,
                    }
                )
    return pl.DataFrame(rows)


def _coverage(frame: pl.DataFrame, lo: str, hi: str) -> dict[str, float]:
    inside = frame.with_columns(((pl.col(lo) <= pl.col("actual")) & (pl.col("actual") <= pl.col(hi))).alias("in"))
    return {r["level"]: r["in"] for r in inside.group_by("level").agg(pl.col("in").mean()).iter_rows(named=True)}


def test_calibrated_bands_cover_80_percent_of_known_truth_within_5_points():
    rng = np.random.default_rng(42)
    history = _units(rng, 400, dt.date(2010, 1, 3))
    calibration = fit_calibration(history)
    future = _units(rng, 1000, dt.date(2018, 1, 7))
    raw = _coverage(future, "p10", "p90")
    assert all(v < 0.6 for v in raw.values())  # the simulated band alone is far too narrow
    lo, hi = [], []
    for row in future.iter_rows(named=True):
        a, b = apply(calibration.bounds(row["level"]), row["p10"], row["p50"], row["p90"])
        lo.append(a)
        hi.append(b)
    calibrated = _coverage(future.with_columns(pl.Series("lo", lo), pl.Series("hi", hi)), "lo", "hi")
    assert set(calibrated) == {"total", "month", "owner"}
    for level, value in calibrated.items():
        assert abs(value - 0.80) <= 0.05, (level, value)


def test_out_of_sample_coverage_in_the_backtest_is_within_5_points_on_known_truth():
    units = _units(np.random.default_rng(7), 200, dt.date(2024, 1, 7))
    checked = calibrate_units(units, block_days=14)
    coverage = _coverage(checked, "cal_p10", "cal_p90")
    for level, value in coverage.items():
        assert abs(value - 0.80) <= 0.05, (level, value)


def _points(forecast_error: float, baseline_error: float) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    as_of = [dt.date(2025, 1, 31) + dt.timedelta(days=7 * k) for k in range(20)]
    actual = rng.uniform(900, 1100, 20)
    return pl.DataFrame(
        {
            "as_of": as_of,
            "horizon_end": [d + dt.timedelta(days=90) for d in as_of],
            "actual": actual,
            "p10": actual * 0.5,
            "p50": actual * (1 + forecast_error * rng.choice([-1, 1], 20)),
            "p90": actual * 1.5,
            "stage_weighted_pipeline": actual * 0.2,
            "last_period_actual": actual * (1 + baseline_error * rng.choice([-1, 1], 20)),
        }
    )


def test_the_verdict_names_a_better_baseline_and_by_how_much():
    summary = summarise(_points(forecast_error=0.20, baseline_error=0.05))
    text = verdict(summary)
    assert text.startswith("On this data same as last period has been more accurate than the forecast")
    assert "WAPE 5.0% against 20.0%" in text and "15.0 points worse" in text
    row = summary.filter(pl.col("method") == "last_period_actual").row(0, named=True)
    assert row["wape_minus_forecast"] == pytest.approx(-0.15)
    assert row["difference_low"] <= -0.15 <= row["difference_high"] < 0


def test_the_verdict_says_when_the_forecast_wins_and_the_noise():
    text = verdict(summarise(_points(forecast_error=0.05, baseline_error=0.10)))
    assert text.startswith("The forecast has been the most accurate method on this data: WAPE 5.0%")
    assert "same as last period" in text and "5.0 points better" in text


def test_the_bootstrap_interval_of_a_tie_contains_zero():
    rng = np.random.default_rng(1)
    actual = rng.uniform(90, 110, 30)
    a = actual + rng.normal(0, 10, 30)
    b = actual + rng.normal(0, 10, 30)
    low, high = block_bootstrap_wape_difference(a, b, actual, block=3)
    assert low < 0 < high
