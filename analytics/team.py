"""Per-rep views: leaderboard with quota attainment, pipeline coverage against quota."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.filters import ALL, MetricFilter
from analytics.query import Source, run
from analytics.stats import with_rate

REPS_SQL = "(SELECT user_id AS owner_id, name AS owner_name, team_id, team_name, territory_id FROM users)"


def quarter_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar quarter containing ``day``."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    next_start = dt.date(day.year + (first_month == 10), 1 if first_month == 10 else first_month + 3, 1)
    return start, next_start - dt.timedelta(days=1)


def rep_leaderboard(filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Per rep over the range: won amount and count, win rate, open pipeline now, quota and attainment.

    Quota is the rep's quarterly quotas prorated by the days each quarter overlaps the range;
    attainment = won amount ÷ that quota. Reps with no quota, no closed deal and no open deal are left out.
    """
    cond, params = filters.where(alias="r", source=False)
    start = filters.start_on or dt.date(1900, 1, 1)
    end = filters.end_on or dt.date(2999, 12, 31)
    closed_on = "closed_on"
    frame = run(
        f"""
        WITH r AS (SELECT * FROM {REPS_SQL} r WHERE {cond}),
        closed AS (
            SELECT owner_id, count(*) FILTER (WHERE is_won) AS count_won, count(*) AS count_closed,
                   CAST(coalesce(sum(amount) FILTER (WHERE is_won), 0) AS DOUBLE) AS won_amount
            FROM opportunities WHERE is_closed AND closed_at IS NOT NULL AND {closed_on} BETWEEN ? AND ?
            GROUP BY 1
        ),
        open AS (
            SELECT owner_id, count(*) AS count_open, CAST(sum(amount) AS DOUBLE) AS open_amount
            FROM opportunities WHERE is_open GROUP BY 1
        ),
        q AS (
            SELECT user_id AS owner_id,
                   CAST(sum(amount * greatest(0, date_diff('day', greatest(quarter_start_on, ?::DATE),
                                                        least(quarter_end_on, ?::DATE)) + 1)
                            / (date_diff('day', quarter_start_on, quarter_end_on) + 1)) AS DOUBLE) AS quota
            FROM quotas WHERE quarter_end_on >= ? AND quarter_start_on <= ? GROUP BY 1
        )
        SELECT r.owner_id, r.owner_name, r.team_name,
               coalesce(closed.won_amount, 0) AS won_amount, coalesce(closed.count_won, 0) AS count_won,
               coalesce(closed.count_closed, 0) AS count_closed,
               coalesce(open.count_open, 0) AS count_open, coalesce(open.open_amount, 0) AS open_amount,
               q.quota
        FROM r LEFT JOIN closed USING (owner_id) LEFT JOIN open USING (owner_id) LEFT JOIN q USING (owner_id)
        WHERE closed.owner_id IS NOT NULL OR open.owner_id IS NOT NULL OR coalesce(q.quota, 0) > 0
        ORDER BY won_amount DESC, r.owner_name
        """,
        [*params, start, end, start, end, start, end],
        con=con,
    )
    frame = with_rate(frame, successes="count_won", trials="count_closed", name="win_rate")
    return frame.with_columns(
        pl.when(pl.col("quota") > 0).then(pl.col("won_amount") / pl.col("quota")).alias("quota_attainment"),
        pl.col("won_amount").rank(method="min", descending=True).cast(pl.Int64).alias("rank"),
    )


def pipeline_coverage(
    filters: MetricFilter = ALL, *, quarter_of: dt.date | None = None, by: str = "owner", con: Source = None
) -> pl.DataFrame:
    """Open pipeline expected to close in a quarter against what is left of that quarter's quota.

    coverage = open amount with expected close in the quarter ÷ (quota − won in the quarter);
    ``pipeline_to_quota`` = that open amount ÷ quota. Grain: per rep (``by='owner'``), per team or 'total'.
    """
    day = quarter_of or filters.end_on or dt.datetime.now(dt.UTC).date()
    q_start, q_end = quarter_bounds(day)
    cond, params = filters.where(alias="r", source=False)
    group = {"owner": ("r.owner_id", "r.owner_name"), "team": ("r.team_id", "r.team_name"), "total": ("'all'", "'All'")}
    if by not in group:
        raise ValueError(f"by must be one of {', '.join(group)}; got {by!r}")
    key, label = group[by]
    closed_on = "closed_on"
    frame = run(
        f"""
        WITH r AS (SELECT * FROM {REPS_SQL} r WHERE {cond}),
        per_rep AS (
            SELECT r.owner_id,
                   (SELECT CAST(coalesce(sum(amount), 0) AS DOUBLE) FROM quotas
                     WHERE user_id = r.owner_id AND quarter_start_on = ?) AS quota,
                   (SELECT CAST(coalesce(sum(amount), 0) AS DOUBLE) FROM opportunities
                     WHERE owner_id = r.owner_id AND is_won AND {closed_on} BETWEEN ? AND ?) AS won_amount,
                   (SELECT CAST(coalesce(sum(amount), 0) AS DOUBLE) FROM opportunities
                     WHERE owner_id = r.owner_id AND is_open AND expected_close_on BETWEEN ? AND ?) AS open_amount
            FROM r
        )
        SELECT CAST({key} AS VARCHAR) AS key, coalesce(CAST({label} AS VARCHAR), '(none)') AS label,
               sum(quota) AS quota, sum(won_amount) AS won_amount, sum(open_amount) AS open_amount
        FROM per_rep JOIN r USING (owner_id)
        GROUP BY ALL HAVING sum(quota) > 0 OR sum(open_amount) > 0 OR sum(won_amount) > 0
        ORDER BY label
        """,
        [*params, q_start, q_start, q_end, q_start, q_end],
        con=con,
    )
    remaining = (pl.col("quota") - pl.col("won_amount")).clip(lower_bound=0)
    return frame.with_columns(
        pl.lit(q_start).alias("quarter_start_on"),
        pl.lit(q_end).alias("quarter_end_on"),
        remaining.alias("remaining_quota"),
        pl.when(remaining > 0).then(pl.col("open_amount") / remaining).alias("coverage"),
        pl.when(pl.col("quota") > 0).then(pl.col("open_amount") / pl.col("quota")).alias("pipeline_to_quota"),
    )
