"""Rates with their sample size and a Wilson score interval."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

Z95 = 1.959963984540054
SMALL_SAMPLE = 30  # below this many trials a rate is flagged as a small sample


def wilson_interval(successes: int, trials: int, *, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval for ``successes`` of ``trials`` (None, None when there are no trials)."""
    if trials <= 0:
        return None, None
    p = successes / trials
    denom = 1 + z * z / trials
    center = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def with_rate(frame: pl.DataFrame, *, successes: str, trials: str, name: str, z: float = Z95) -> pl.DataFrame:
    """Add ``name`` (successes/trials), ``name_low``/``name_high`` (Wilson 95 %) and ``name_small_sample``."""
    n = pl.col(trials).cast(pl.Float64)
    k = pl.col(successes).cast(pl.Float64)
    p = pl.when(n > 0).then(k / n)
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)).sqrt()) / denom
    return frame.with_columns(
        p.alias(name),
        pl.when(n > 0).then((center - half).clip(0.0, 1.0)).alias(f"{name}_low"),
        pl.when(n > 0).then((center + half).clip(0.0, 1.0)).alias(f"{name}_high"),
        (n < SMALL_SAMPLE).alias(f"{name}_small_sample"),
    )


def utc_day(column: str) -> str:
    """SQL for the UTC calendar date of a TIMESTAMPTZ column."""
    return f"({column} AT TIME ZONE 'UTC')::DATE"


def utc_month(column: str) -> str:
    """SQL for the first day of the UTC calendar month of a TIMESTAMPTZ column."""
    return f"date_trunc('month', ({column} AT TIME ZONE 'UTC'))::DATE"


def days_between(start: str, end: str) -> str:
    """SQL for the (fractional) days from one TIMESTAMPTZ to another."""
    return f"(epoch({end}) - epoch({start})) / 86400.0"


def day_end(day: dt.date) -> dt.datetime:
    """The end of a UTC day (midnight starting the next day): the instant "at the end of ``day``" means."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
