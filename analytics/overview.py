"""The headline numbers of the Overview page, for a range and the equally long range before it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from analytics.conversion import conversion_by
from analytics.deals import average_deal_size, sales_cycle_length, win_rate
from analytics.filters import MetricFilter
from analytics.pipeline import pipeline_on
from analytics.query import Source

KPI_SCHEMA = {
    "kpi": pl.String,
    "label": pl.String,
    "unit": pl.String,
    "value": pl.Float64,
    "previous_value": pl.Float64,
    "sample_size": pl.Int64,
}


def _period_kpis(filters: MetricFilter, con: Source) -> dict[str, tuple[Any, int | None]]:
    assert filters.end_on is not None
    pipeline = pipeline_on(filters.end_on, filters, con=con)
    rate = win_rate(filters, con=con)
    size = average_deal_size(filters, con=con)
    cycle = sales_cycle_length(filters, con=con)
    leads = conversion_by("source", filters, con=con)
    count_leads = int(leads["count_leads"].sum())
    converted = int(leads["count_converted"].sum())
    return {
        "open_pipeline": (pipeline["amount"][0], int(pipeline["count_open"][0])),
        "weighted_pipeline": (pipeline["weighted_amount"][0], int(pipeline["count_open"][0])),
        "won_amount": (size["won_amount"].sum() if size.height else 0.0, int(size["count_won"].sum())),
        "win_rate": (rate["win_rate"][0], int(rate["count_closed"][0])),
        "average_deal_size": (size["average_deal_size"][0] if size.height else None, int(size["count_won"].sum())),
        "median_cycle_days": (cycle["median_days"][0] if cycle.height else None, int(cycle["count_won"].sum())),
        "new_leads": (float(count_leads), count_leads),
        "conversion_rate": (converted / count_leads if count_leads else None, count_leads),
    }


LABELS = {
    "open_pipeline": ("Open pipeline", "$"),
    "weighted_pipeline": ("Weighted pipeline", "$"),
    "won_amount": ("Won", "$"),
    "win_rate": ("Win rate", "%"),
    "average_deal_size": ("Average deal size", "$"),
    "median_cycle_days": ("Sales cycle (median)", "days"),
    "new_leads": ("New leads", "leads"),
    "conversion_rate": ("Lead conversion", "%"),
}


def overview_kpis(filters: MetricFilter, *, con: Source = None) -> pl.DataFrame:
    """Each headline KPI over the range and over the previous period of equal length, with sample sizes.

    Open and weighted pipeline are stocks: their value is at the end of the range (previous: the day
    before the range starts). The others are flows over the range (see docs/metrics.md).
    """
    if filters.start_on is None or filters.end_on is None:
        today = dt.datetime.now(dt.UTC).date()
        filters = filters.with_dates(filters.start_on or today - dt.timedelta(days=89), filters.end_on or today)
    now = _period_kpis(filters, con)
    before = _period_kpis(filters.previous_period(), con)
    rows = [
        {
            "kpi": kpi,
            "label": LABELS[kpi][0],
            "unit": LABELS[kpi][1],
            "value": _as_float(now[kpi][0]),
            "previous_value": _as_float(before[kpi][0]),
            "sample_size": now[kpi][1],
        }
        for kpi in LABELS
    ]
    return pl.DataFrame(rows, schema=KPI_SCHEMA)


def _as_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
