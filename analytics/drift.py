"""Conversion monitoring: the conversion-rate gauge and the conversion-drop signal.

Drop signal: is the latest cohort's conversion significantly below the trailing rate?

Per source and per owner, leads are grouped into cohorts by creation time and each lead's outcome is
"converted within ``horizon_days`` of creation", so every cohort is measured the same way and young
leads do not look like drops merely because they have not had time to convert:

- recent cohort: created in ``[as_of - horizon - window, as_of - horizon)``;
- trailing cohort: the ``trailing_days`` before it.

A one-sided two-proportion z-test (pooled) compares the two. A group is tested only when both cohorts
hold at least ``min_leads`` leads and at least ``min_expected`` conversions are expected in the recent
cohort at the trailing rate; it is a drop when z <= ``z_critical`` (default -2.326, one-sided 1 %).
The result is exported as ``sales_conversion_drop{dimension,value}`` (1/0) and its z-score.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from analytics.conversion import conversion_rate_by_source
from analytics.filters import MetricFilter
from analytics.query import Source, run
from core.metrics import CONVERSION_DROP, CONVERSION_DROP_ZSCORE, LEAD_CONVERSION_RATE

RATE_WINDOW_DAYS = 90

DIMENSIONS = ("source", "owner")
Z_CRITICAL = -2.326  # one-sided, alpha = 0.01
SIGNAL_COLUMNS = (
    "dimension",
    "value",
    "recent_leads",
    "recent_converted",
    "recent_rate",
    "trailing_leads",
    "trailing_converted",
    "trailing_rate",
    "z",
    "p_value",
    "is_tested",
    "is_drop",
)


def two_proportion_z(recent_converted: int, recent_n: int, trailing_converted: int, trailing_n: int) -> float | None:
    """Pooled two-proportion z-score of recent vs trailing (None when undefined)."""
    if recent_n <= 0 or trailing_n <= 0:
        return None
    pooled = (recent_converted + trailing_converted) / (recent_n + trailing_n)
    variance = pooled * (1 - pooled) * (1 / recent_n + 1 / trailing_n)
    if variance <= 0:
        return None
    return (recent_converted / recent_n - trailing_converted / trailing_n) / math.sqrt(variance)


def lower_tail_p(z: float | None) -> float | None:
    """One-sided p-value P(Z <= z) of the standard normal."""
    return None if z is None else 0.5 * math.erfc(-z / math.sqrt(2))


def detect_conversion_drops(
    leads: pl.DataFrame,
    *,
    as_of: dt.datetime,
    window_days: int = 7,
    horizon_days: int = 7,
    trailing_days: int = 56,
    min_leads: int = 30,
    min_expected: float = 5.0,
    z_critical: float = Z_CRITICAL,
) -> pl.DataFrame:
    """Test each source and owner in ``leads`` (source, owner, created_at, converted_at) for a drop."""
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=dt.UTC)
    recent_end = as_of - dt.timedelta(days=horizon_days)
    recent_start = recent_end - dt.timedelta(days=window_days)
    trailing_start = recent_start - dt.timedelta(days=trailing_days)
    horizon = dt.timedelta(days=horizon_days)
    created = pl.col("created_at")
    converted = pl.col("converted_at")
    cohorts = (
        leads.with_columns(
            pl.col("created_at").cast(pl.Datetime("us", "UTC")),
            pl.col("converted_at").cast(pl.Datetime("us", "UTC")),
        )
        .filter((created >= trailing_start) & (created < recent_end))
        .with_columns(
            (created >= recent_start).alias("is_recent"),
            (converted.is_not_null() & (converted <= created + horizon) & (converted <= as_of)).alias("is_hit"),
        )
    )
    rows: list[dict[str, object]] = []
    for dimension in DIMENSIONS:
        grouped = (
            cohorts.with_columns(pl.col(dimension).cast(pl.String).fill_null("unknown").alias("value"))
            .group_by("value")
            .agg(
                pl.col("is_recent").sum().alias("recent_leads"),
                (pl.col("is_recent") & pl.col("is_hit")).sum().alias("recent_converted"),
                (~pl.col("is_recent")).sum().alias("trailing_leads"),
                (~pl.col("is_recent") & pl.col("is_hit")).sum().alias("trailing_converted"),
            )
            .sort("value")
        )
        for group in grouped.iter_rows(named=True):
            rows.append({"dimension": dimension, **_test_group(group, min_leads, min_expected, z_critical)})
    schema = {
        "dimension": pl.String,
        "value": pl.String,
        "recent_leads": pl.Int64,
        "recent_converted": pl.Int64,
        "recent_rate": pl.Float64,
        "trailing_leads": pl.Int64,
        "trailing_converted": pl.Int64,
        "trailing_rate": pl.Float64,
        "z": pl.Float64,
        "p_value": pl.Float64,
        "is_tested": pl.Boolean,
        "is_drop": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema).select(SIGNAL_COLUMNS)


def _test_group(group: dict[str, object], min_leads: int, min_expected: float, z_critical: float) -> dict[str, object]:
    recent_n, recent_k = int(group["recent_leads"]), int(group["recent_converted"])  # type: ignore[call-overload]
    trailing_n, trailing_k = int(group["trailing_leads"]), int(group["trailing_converted"])  # type: ignore[call-overload]
    trailing_rate = trailing_k / trailing_n if trailing_n else None
    is_tested = (
        recent_n >= min_leads
        and trailing_n >= min_leads
        and trailing_rate is not None
        and recent_n * trailing_rate >= min_expected
    )
    z = two_proportion_z(recent_k, recent_n, trailing_k, trailing_n) if is_tested else None
    return {
        "value": group["value"],
        "recent_leads": recent_n,
        "recent_converted": recent_k,
        "recent_rate": recent_k / recent_n if recent_n else None,
        "trailing_leads": trailing_n,
        "trailing_converted": trailing_k,
        "trailing_rate": trailing_rate,
        "z": z,
        "p_value": lower_tail_p(z),
        "is_tested": is_tested,
        "is_drop": bool(is_tested and z is not None and z <= z_critical),
    }


def conversion_drop_signals(
    *,
    as_of: dt.datetime | None = None,
    con: Source = None,
    window_days: int = 7,
    horizon_days: int = 7,
    trailing_days: int = 56,
    min_leads: int = 30,
) -> pl.DataFrame:
    """Run ``detect_conversion_drops`` over the warehouse ``leads`` mart (per source and per owner)."""
    as_of = as_of or dt.datetime.now(dt.UTC)
    since = as_of - dt.timedelta(days=horizon_days + window_days + trailing_days)
    leads = run(
        "SELECT source, coalesce(owner_name, owner_id) AS owner, created_at, converted_at "
        "FROM leads WHERE created_at >= ? AND created_at < ?",
        [since, as_of],
        con=con,
    )
    return detect_conversion_drops(
        leads,
        as_of=as_of,
        window_days=window_days,
        horizon_days=horizon_days,
        trailing_days=trailing_days,
        min_leads=min_leads,
    )


def export_conversion_drop(signals: pl.DataFrame | None = None) -> pl.DataFrame:
    """Set ``sales_conversion_drop`` (1/0) and its z-score for every tested group; returns the signals."""
    if signals is None:
        signals = conversion_drop_signals()
    CONVERSION_DROP.clear()
    CONVERSION_DROP_ZSCORE.clear()
    for row in signals.filter(pl.col("is_tested")).iter_rows(named=True):
        labels = {"dimension": row["dimension"], "value": row["value"]}
        CONVERSION_DROP.labels(**labels).set(1.0 if row["is_drop"] else 0.0)
        CONVERSION_DROP_ZSCORE.labels(**labels).set(row["z"] or 0.0)
    return signals


def export_conversion_rates(*, as_of: dt.date | None = None, con: Source = None) -> pl.DataFrame:
    """Set ``sales_lead_conversion_rate{source}`` from ``conversion_rate_by_source`` over the last 90 days."""
    end_on = as_of or dt.datetime.now(dt.UTC).date()
    window = MetricFilter(start_on=end_on - dt.timedelta(days=RATE_WINDOW_DAYS - 1), end_on=end_on)
    rates = conversion_rate_by_source(window, con=con)
    LEAD_CONVERSION_RATE.clear()
    for row in rates.iter_rows(named=True):
        if row["conversion_rate"] is not None:
            LEAD_CONVERSION_RATE.labels(source=row["label"]).set(row["conversion_rate"])
    return rates


def export_conversion_metrics() -> None:
    """Refresh both conversion gauges from the serving warehouse (the scrape refresher of app and API)."""
    export_conversion_rates()
    export_conversion_drop()
