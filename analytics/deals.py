"""Closed-deal metrics: win rate, deal size, sales cycle, velocity, stage durations, stale deals, lost reasons."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.dimensions import OPPORTUNITY_DIMENSIONS, dimension_sql, stages_values_sql
from analytics.filters import ALL, MetricFilter
from analytics.query import Source, run
from analytics.stats import days_between, utc_day, with_rate
from models.domain import OPEN_STAGES

CLOSED_ON = "closed_on"  # the mart's UTC close date
CYCLE_DAYS = days_between("created_at", "closed_at")


def _grouping(by: str | None) -> tuple[str, str]:
    if by is None:
        return "'all'", "'All'"
    return dimension_sql(by, OPPORTUNITY_DIMENSIONS)


def win_rate(filters: MetricFilter = ALL, *, by: str | None = None, con: Source = None) -> pl.DataFrame:
    """Won ÷ (won + lost) for deals closed in the range, overall or per ``by`` segment."""
    key, label = _grouping(by)
    cond, params = filters.where(date_expr=CLOSED_ON)
    frame = run(
        f"""
        SELECT CAST({key} AS VARCHAR) AS key, coalesce(CAST({label} AS VARCHAR), '(none)') AS label,
               count(*) FILTER (WHERE is_won) AS count_won, count(*) AS count_closed
        FROM opportunities WHERE is_closed AND closed_at IS NOT NULL AND {cond}
        GROUP BY ALL ORDER BY count_closed DESC, label
        """,
        params,
        con=con,
    )
    if by is None and frame.is_empty():
        frame = pl.DataFrame(
            {"key": ["all"], "label": ["All"], "count_won": [0], "count_closed": [0]},
            schema={"key": pl.String, "label": pl.String, "count_won": pl.Int64, "count_closed": pl.Int64},
        )
    return with_rate(frame, successes="count_won", trials="count_closed", name="win_rate")


def average_deal_size(filters: MetricFilter = ALL, *, by: str | None = None, con: Source = None) -> pl.DataFrame:
    """Mean amount of deals won in the range (zero amounts count), with the count and total."""
    key, label = _grouping(by)
    cond, params = filters.where(date_expr=CLOSED_ON)
    return run(
        f"""
        SELECT CAST({key} AS VARCHAR) AS key, coalesce(CAST({label} AS VARCHAR), '(none)') AS label,
               count(*) AS count_won, CAST(coalesce(sum(amount), 0) AS DOUBLE) AS won_amount,
               CAST(avg(amount) AS DOUBLE) AS average_deal_size
        FROM opportunities WHERE is_won AND closed_at IS NOT NULL AND {cond}
        GROUP BY ALL ORDER BY won_amount DESC, label
        """,
        params,
        con=con,
    )


def sales_cycle_length(filters: MetricFilter = ALL, *, by: str | None = None, con: Source = None) -> pl.DataFrame:
    """Days from creation to close of deals won in the range: count, median, P90 and mean."""
    key, label = _grouping(by)
    cond, params = filters.where(date_expr=CLOSED_ON)
    return run(
        f"""
        SELECT CAST({key} AS VARCHAR) AS key, coalesce(CAST({label} AS VARCHAR), '(none)') AS label,
               count(*) AS count_won, median({CYCLE_DAYS}) AS median_days,
               quantile_cont({CYCLE_DAYS}, 0.9) AS p90_days, avg({CYCLE_DAYS}) AS mean_days
        FROM opportunities WHERE is_won AND closed_at IS NOT NULL AND {cond}
        GROUP BY ALL ORDER BY count_won DESC, label
        """,
        params,
        con=con,
    )


def sales_velocity(filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Expected won value per day: open deals × win rate × average deal size ÷ mean sales cycle (days).

    Open deals are those open now; the other three come from deals closed in the range.
    """
    cond, params = filters.where()
    open_deals = run(f"SELECT count(*) AS n FROM opportunities WHERE is_open AND {cond}", params, con=con)["n"][0]
    rate = win_rate(filters, con=con)["win_rate"][0]
    size = average_deal_size(filters, con=con)
    cycle = sales_cycle_length(filters, con=con)
    avg_size = size["average_deal_size"][0] if size.height else None
    mean_days = cycle["mean_days"][0] if cycle.height else None
    velocity = None
    if rate is not None and avg_size is not None and mean_days:
        velocity = open_deals * rate * avg_size / mean_days
    return pl.DataFrame(
        {
            "count_open": [open_deals],
            "win_rate": [rate],
            "average_deal_size": [avg_size],
            "mean_cycle_days": [mean_days],
            "sales_velocity_per_day": [velocity],
        },
        schema={
            "count_open": pl.Int64,
            "win_rate": pl.Float64,
            "average_deal_size": pl.Float64,
            "mean_cycle_days": pl.Float64,
            "sales_velocity_per_day": pl.Float64,
        },
    )


def stage_visits_sql(*, join_deals: bool) -> str:
    """SQL for finished visits of open stages: opportunity_id, stage, entered_at, left_at, days (deal as ``o``).

    A visit runs from a stage change to the next one (ties in time are not ordered further).
    """
    join = "JOIN opportunities o USING (opportunity_id)" if join_deals else ""
    return f"""
    WITH entered AS (
        SELECT opportunity_id, to_stage AS stage, changed_at AS entered_at,
               lead(changed_at) OVER (PARTITION BY opportunity_id ORDER BY changed_at) AS left_at
        FROM stage_changes WHERE is_stage_change
    )
    SELECT e.opportunity_id, e.stage, e.entered_at, e.left_at, {days_between("e.entered_at", "e.left_at")} AS days
    FROM entered e {join}
    WHERE e.left_at IS NOT NULL AND e.stage NOT IN ('closed_won', 'closed_lost')
    """


def stage_duration(filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Days spent in each open stage, over stage visits that ended in the range: count, median, P90.

    Grain: one row per open stage. A visit runs from entering a stage to the next stage change.
    """
    cond, params = filters.where(date_expr=utc_day("e.left_at"), alias="o")
    return run(
        f"""
        WITH v AS ({stage_visits_sql(join_deals=True)} AND {cond})
        SELECT stages.stage, count(v.days) AS count_visits, median(v.days) AS median_days,
               quantile_cont(v.days, 0.9) AS p90_days
        FROM {stages_values_sql(OPEN_STAGES)}
        LEFT JOIN v ON v.stage = stages.stage
        GROUP BY stages.stage, stages.stage_order ORDER BY stages.stage_order
        """,
        params,
        con=con,
    )


def stage_p90_days(*, con: Source = None) -> dict[str, float]:
    """Each open stage's P90 of days per finished visit, over the whole history and all owners."""
    visits = stage_visits_sql(join_deals=False)
    frame = run(f"SELECT stage, quantile_cont(days, 0.9) AS p90 FROM ({visits}) GROUP BY 1", con=con)
    return {stage: float(p90) for stage, p90 in frame.rows() if p90 is not None}


def stale_deals(
    filters: MetricFilter = ALL,
    *,
    as_of: dt.datetime | None = None,
    stage_p90: dict[str, float] | None = None,
    con: Source = None,
) -> pl.DataFrame:
    """Open deals that have sat in their stage longer than that stage's P90 (see :func:`stage_p90_days`)."""
    moment = as_of or dt.datetime.now(dt.UTC)
    p90 = stage_p90 if stage_p90 is not None else stage_p90_days(con=con)
    cond, params = filters.where(alias="o")
    return run(
        f"""
        WITH p90 AS (SELECT unnest(?::VARCHAR[]) AS stage, unnest(?::DOUBLE[]) AS stage_p90_days),
        current_stage AS (
            SELECT o.opportunity_id, o.name, o.account_name, o.owner_name, o.team_name, o.territory_name, o.stage,
                   CAST(o.amount AS DOUBLE) AS amount, o.expected_close_on,
                   {days_between("o.stage_entered_at", "?::TIMESTAMPTZ")} AS current_days, p90.stage_p90_days
            FROM opportunities o JOIN p90 USING (stage)
            WHERE o.is_open AND {cond}
        )
        SELECT * EXCLUDE (current_days), current_days AS days_in_stage FROM current_stage
        WHERE current_days > stage_p90_days
        ORDER BY current_days / nullif(stage_p90_days, 0) DESC NULLS FIRST, name
        """,
        [list(p90), list(p90.values()), moment, *params],
        con=con,
    )


def lost_reasons(filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Deals lost in the range per lost reason: count, amount and share of lost deals."""
    cond, params = filters.where(date_expr=CLOSED_ON)
    return run(
        f"""
        SELECT coalesce(nullif(trim(lost_reason), ''), '(none)') AS lost_reason, count(*) AS count_lost,
               CAST(coalesce(sum(amount), 0) AS DOUBLE) AS lost_amount,
               count(*) / sum(count(*)) OVER () AS share
        FROM opportunities WHERE stage = 'closed_lost' AND closed_at IS NOT NULL AND {cond}
        GROUP BY 1 ORDER BY count_lost DESC, lost_reason
        """,
        params,
        con=con,
    )
