"""The records behind an aggregate: the deals or leads a chart bar or table row was computed from."""

from __future__ import annotations

from typing import Literal

import polars as pl

from analytics.dimensions import LEAD_DIMENSIONS, OPPORTUNITY_DIMENSIONS, dimension_sql
from analytics.filters import ALL, MetricFilter
from analytics.query import Source, run

DealState = Literal["open", "won", "lost", "closed", "created"]
# which deals each state selects, and the date the range applies to (None = the range does not apply)
_STATES: dict[str, tuple[str, str | None]] = {
    "open": ("is_open", None),
    "won": ("is_won AND closed_at IS NOT NULL", "closed_on"),
    "lost": ("stage = 'closed_lost' AND closed_at IS NOT NULL", "closed_on"),
    "closed": ("is_closed AND closed_at IS NOT NULL", "closed_on"),
    "created": ("TRUE", "created_on"),
}
DEAL_COLUMNS = (
    "opportunity_id, name, account_name, owner_name, team_name, territory_name, source, stage, "
    "CAST(amount AS DOUBLE) AS amount, probability, expected_close_on, created_at, closed_at, lost_reason"
)
LEAD_COLUMNS = (
    "lead_id, full_name, email, company, source, status, score, owner_name, team_name, territory_name, "
    "created_at, converted_at, days_to_convert"
)


def _segment(dimension: str | None, key: str | None, table: dict[str, tuple[str, str]]) -> tuple[str, list]:
    if dimension is None:
        return "TRUE", []
    key_sql, _ = dimension_sql(dimension, table)
    return f"CAST({key_sql} AS VARCHAR) IS NOT DISTINCT FROM ?", [key]


def deals_behind(
    filters: MetricFilter = ALL,
    *,
    state: DealState = "open",
    dimension: str | None = None,
    key: str | None = None,
    limit: int = 5000,
    con: Source = None,
) -> pl.DataFrame:
    """Deals in ``state`` matching the filter (and the segment ``dimension`` = ``key``), largest first."""
    if state not in _STATES:
        raise ValueError(f"state must be one of {', '.join(_STATES)}; got {state!r}")
    where_state, date_expr = _STATES[state]
    cond, params = filters.where(date_expr=date_expr)
    segment, segment_params = _segment(dimension, key, OPPORTUNITY_DIMENSIONS)
    return run(
        f"SELECT {DEAL_COLUMNS} FROM opportunities WHERE {where_state} AND {cond} AND {segment} "
        "ORDER BY amount DESC NULLS LAST, name LIMIT ?",
        [*params, *segment_params, limit],
        con=con,
    )


def leads_behind(
    filters: MetricFilter = ALL,
    *,
    dimension: str | None = None,
    key: str | None = None,
    converted: bool | None = None,
    limit: int = 5000,
    con: Source = None,
) -> pl.DataFrame:
    """Leads created in the range matching the filter and segment (optionally only (un)converted ones)."""
    cond, params = filters.where(date_expr="created_on")
    segment, segment_params = _segment(dimension, key, LEAD_DIMENSIONS)
    converted_cond = "TRUE" if converted is None else ("is_converted" if converted else "NOT is_converted")
    return run(
        f"SELECT {LEAD_COLUMNS} FROM leads WHERE {cond} AND {segment} AND {converted_cond} "
        "ORDER BY created_at DESC, lead_id LIMIT ?",
        [*params, *segment_params, limit],
        con=con,
    )
