"""The records behind an aggregate: the deals or leads a chart bar or table row was computed from."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import polars as pl

from analytics.deals import stage_visits_sql
from analytics.dimensions import LEAD_DIMENSIONS, OPPORTUNITY_DIMENSIONS, dimension_sql
from analytics.filters import ALL, MetricFilter
from analytics.pipeline import state_on_sql
from analytics.query import Source, run
from analytics.stats import day_end, utc_day
from analytics.team import REPS_SQL, quarter_bounds

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


def deals_open_on(
    day: dt.date, filters: MetricFilter = ALL, *, stage: str | None = None, limit: int = 5000, con: Source = None
) -> pl.DataFrame:
    """Deals open at the end of a UTC day (the rule of :func:`analytics.pipeline.pipeline_on`), as they stood then.

    Behind a point of ``pipeline_trend``, which has no lead source: the source filter does not apply here either.
    """
    cond, params = filters.where(alias="o", source=False)
    end = day_end(day)
    stage_cond = "TRUE" if stage is None else "h.stage = ?"
    return run(
        f"""
        WITH {state_on_sql("h")}
        SELECT o.opportunity_id, o.name, o.account_name, o.owner_name, o.team_name, o.territory_name, o.source,
               h.stage, CAST(h.amount AS DOUBLE) AS amount, h.probability, h.expected_close_on, o.created_at
        FROM h JOIN opportunities o USING (opportunity_id)
        WHERE h.is_open AND {cond} AND {stage_cond}
        ORDER BY amount DESC NULLS LAST, o.name LIMIT ?
        """,
        [end, end, *params, *([] if stage is None else [stage]), limit],
        con=con,
    )


def deals_behind_coverage(
    filters: MetricFilter = ALL,
    *,
    key: str,
    by: str = "owner",
    quarter_of: dt.date | None = None,
    limit: int = 5000,
    con: Source = None,
) -> pl.DataFrame:
    """Open deals of a rep (``by='owner'``) or team expected to close in the quarter: a coverage row's pipeline."""
    columns = {"owner": "r.owner_id", "team": "r.team_id"}
    if by not in columns:
        raise ValueError(f"by must be one of {', '.join(columns)}; got {by!r}")
    q_start, q_end = quarter_bounds(quarter_of or filters.end_on or dt.datetime.now(dt.UTC).date())
    cond, params = filters.where(alias="r", source=False)
    return run(
        f"""
        SELECT {DEAL_COLUMNS} FROM opportunities
        WHERE is_open AND expected_close_on BETWEEN ? AND ?
          AND owner_id IN (SELECT r.owner_id FROM {REPS_SQL} r WHERE {cond} AND CAST({columns[by]} AS VARCHAR) = ?)
        ORDER BY amount DESC NULLS LAST, name LIMIT ?
        """,
        [q_start, q_end, *params, key, limit],
        con=con,
    )


def stage_visits_behind(
    filters: MetricFilter = ALL, *, stage: str, limit: int = 5000, con: Source = None
) -> pl.DataFrame:
    """The finished visits of ``stage`` that ended in the range (behind :func:`stage_duration`), longest first."""
    cond, params = filters.where(date_expr=utc_day("e.left_at"), alias="o")
    return run(
        f"""
        WITH v AS ({stage_visits_sql(join_deals=True)} AND {cond})
        SELECT v.opportunity_id, o.name, o.account_name, o.owner_name, o.team_name, o.territory_name,
               v.stage, v.entered_at, v.left_at, v.days, CAST(o.amount AS DOUBLE) AS amount, o.stage AS stage_now
        FROM v JOIN opportunities o USING (opportunity_id)
        WHERE v.stage = ?
        ORDER BY v.days DESC, o.name LIMIT ?
        """,
        [*params, stage, limit],
        con=con,
    )
