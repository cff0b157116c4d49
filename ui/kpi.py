"""KPI cards: a value, its change against the previous period, and the sample size behind it."""

from __future__ import annotations

import polars as pl
import streamlit as st

LOWER_IS_BETTER = {"median_cycle_days"}


def _money(value: float) -> str:
    """$1,234 below a million, then $12.3M and $1.2B (so a card never truncates)."""
    size = abs(value)
    if size >= 1e9:
        return f"{'-' if value < 0 else ''}${size / 1e9:,.1f}B"
    if size >= 1e6:
        return f"{'-' if value < 0 else ''}${size / 1e6:,.1f}M"
    return f"{'-' if value < 0 else ''}${size:,.0f}"


def format_value(value: float | None, unit: str) -> str:
    """A KPI value for people: $1,234, $12.3M, 42.0 %, 12.5 days, 1,234 leads; an em dash when unknown."""
    if value is None:
        return "—"
    if unit == "$":
        return _money(value)
    if unit == "%":
        return f"{value:.1%}"
    if unit == "days":
        return f"{value:,.1f} days"
    return f"{value:,.0f}"


def format_delta(value: float | None, previous: float | None, unit: str) -> str | None:
    """The change against the previous period (percentage points for rates), or None when not comparable."""
    if value is None or previous is None:
        return None
    change = value - previous
    if unit == "%":
        return f"{change * 100:+.1f} pp"
    if unit == "$":
        return f"{'+' if change >= 0 else '-'}{_money(abs(change))}"
    if unit == "days":
        return f"{change:+,.1f} days"
    return f"{change:+,.0f}"


def kpi_cards(kpis: pl.DataFrame, *, per_row: int = 4) -> None:
    """Render one ``st.metric`` per row of ``overview_kpis`` with its delta and sample size."""
    rows = kpis.to_dicts()
    for start in range(0, len(rows), per_row):
        columns = st.container(key=f"kpis_{start}").columns(per_row)
        for column, row in zip(columns, rows[start : start + per_row], strict=False):
            column.metric(
                row["label"],
                format_value(row["value"], row["unit"]),
                delta=format_delta(row["value"], row["previous_value"], row["unit"]),
                delta_color="inverse" if row["kpi"] in LOWER_IS_BETTER else "normal",
                help=f"n = {row['sample_size']:,}; change against the previous period of equal length",
                border=True,
            )
