"""Deal features as of a point in time, from the stage history (no look-ahead): one row per deal per snapshot."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.query import Source, run
from analytics.stats import day_end

# Snapshots for training: the start of the 1st and the 16th of every month (UTC).
SNAPSHOT_DAYS = (1, 16)
# Training snapshots stop this many days before the cutoff, so that nearly every deal open at a snapshot has
# closed by the cutoff (about 95 % of demo deals close within 130 days of any day they are open); later
# snapshots would over-represent deals that closed quickly.
OUTCOME_DAYS = 120

_STATES = """
base AS (
    SELECT opportunity_id, stage_change_id, changed_at, to_stage AS stage, CAST(amount AS DOUBLE) AS amount,
           expected_close_on, is_stage_change,
           lag(expected_close_on) OVER (PARTITION BY opportunity_id ORDER BY changed_at, stage_change_id) AS prev_close,
           lag(CAST(amount AS DOUBLE)) OVER (PARTITION BY opportunity_id ORDER BY changed_at, stage_change_id)
               AS prev_amount
    FROM stage_changes {where}
), states AS (
    SELECT opportunity_id, changed_at, stage, amount, expected_close_on,
           max(CASE WHEN is_stage_change THEN changed_at END) OVER w AS stage_entered_at,
           sum(CASE WHEN expected_close_on > prev_close THEN 1 ELSE 0 END) OVER w AS count_close_date_pushes,
           sum(CASE WHEN amount <> prev_amount THEN 1 ELSE 0 END) OVER w AS count_amount_changes
    FROM base
    WINDOW w AS (PARTITION BY opportunity_id ORDER BY changed_at, stage_change_id ROWS UNBOUNDED PRECEDING)
), owner_closes AS (
    SELECT owner_id, closed_at,
           sum(CASE WHEN is_won THEN 1 ELSE 0 END) OVER w AS cum_won, count(*) OVER w AS cum_closed
    FROM opportunities WHERE is_closed AND owner_id IS NOT NULL
    WINDOW w AS (PARTITION BY owner_id ORDER BY closed_at, opportunity_id ROWS UNBOUNDED PRECEDING)
), all_closes AS (
    SELECT 1 AS k, closed_at,
           sum(CASE WHEN is_won THEN 1 ELSE 0 END) OVER w AS cum_won, count(*) OVER w AS cum_closed
    FROM opportunities WHERE is_closed
    WINDOW w AS (ORDER BY closed_at, opportunity_id ROWS UNBOUNDED PRECEDING)
), deals AS (
    SELECT o.opportunity_id, o.name, o.owner_id, o.owner_name, o.team_id, o.team_name, o.territory_id,
           o.territory_name, coalesce(o.source, '(none)') AS source,
           coalesce(o.account_industry, l.industry, '(none)') AS account_industry,
           CASE WHEN l.employee_count IS NULL THEN 'unknown' WHEN l.employee_count < 100 THEN 'small'
                WHEN l.employee_count < 1000 THEN 'mid-market' ELSE 'enterprise' END AS company_size,
           CAST(l.employee_count AS DOUBLE) AS employee_count, CAST(l.engagement_score AS DOUBLE) AS engagement_score,
           o.created_at, o.closed_at, o.is_closed, o.is_won
    FROM opportunities o LEFT JOIN leads l ON l.lead_id = o.lead_id
)"""

_SELECT = """
SELECT p.opportunity_id, p.name, p.owner_id, p.owner_name, p.team_id, p.team_name, p.territory_id,
       p.territory_name, p.snapshot_at, p.created_at, p.closed_at, p.is_closed, p.is_won,
       s.stage, s.amount, s.expected_close_on, p.source, p.account_industry, p.company_size,
       p.employee_count, p.engagement_score,
       (epoch(p.snapshot_at) - epoch(p.created_at)) / 86400 AS days_open,
       (epoch(p.snapshot_at) - epoch(s.stage_entered_at)) / 86400 AS days_in_stage,
       CAST(s.expected_close_on - CAST(p.snapshot_at AS DATE) AS DOUBLE) AS days_to_expected_close,
       CAST(coalesce(s.expected_close_on < CAST(p.snapshot_at AS DATE), FALSE) AS DOUBLE) AS is_overdue,
       CAST(s.count_close_date_pushes AS DOUBLE) AS count_close_date_pushes,
       CAST(s.count_amount_changes AS DOUBLE) AS count_amount_changes,
       (coalesce(oc.cum_won, 0) + 10 * coalesce(ac.cum_won / ac.cum_closed, 0.3))
           / (coalesce(oc.cum_closed, 0) + 10) AS owner_win_rate,
       CAST(coalesce(oc.cum_closed, 0) AS DOUBLE) AS owner_closed_deals
FROM pairs p
ASOF JOIN states s ON s.opportunity_id = p.opportunity_id AND s.changed_at < p.snapshot_at
ASOF LEFT JOIN owner_closes oc ON oc.owner_id = p.owner_id AND oc.closed_at < p.snapshot_at
ASOF LEFT JOIN all_closes ac ON ac.k = 1 AND ac.closed_at < p.snapshot_at
WHERE s.stage NOT IN ('closed_won', 'closed_lost')
ORDER BY p.snapshot_at, p.opportunity_id
"""


def open_deal_features(as_of: dt.date, *, con: Source = None) -> pl.DataFrame:
    """Every deal open at the end of UTC day ``as_of``, with its features as they stood then."""
    end = day_end(as_of)
    only_open = "WHERE opportunity_id IN (SELECT opportunity_id FROM open_ids)"
    sql = f"""
        WITH open_ids AS (
            SELECT opportunity_id FROM opportunities
            WHERE created_at < ?::TIMESTAMPTZ AND (closed_at IS NULL OR closed_at >= ?::TIMESTAMPTZ)
        ), {_STATES.format(where=only_open)}, pairs AS (
            SELECT d.*, ?::TIMESTAMPTZ AS snapshot_at FROM deals d
            WHERE d.created_at < ?::TIMESTAMPTZ AND (d.closed_at IS NULL OR d.closed_at >= ?::TIMESTAMPTZ)
        ) {_SELECT}"""
    return run(sql, [end, end, end, end, end], con=con)


def closed_deal_snapshots(before: dt.date, *, con: Source = None) -> pl.DataFrame:
    """Training rows: each deal closed before ``before`` as it stood on every 1st and 16th it was open.

    Only snapshots at least OUTCOME_DAYS before ``before`` are used (see OUTCOME_DAYS).
    """
    cutoff = dt.datetime.combine(before, dt.time(), tzinfo=dt.UTC)
    last_snapshot = cutoff - dt.timedelta(days=OUTCOME_DAYS)
    sql = f"""
        WITH {_STATES.format(where="")}, days AS (
            SELECT d::TIMESTAMPTZ AS snapshot_at
            FROM generate_series(
                (SELECT date_trunc('month', min(created_at AT TIME ZONE 'UTC')) FROM opportunities),
                ?::TIMESTAMP, INTERVAL 1 DAY) AS g(d)
            WHERE day(d) IN {SNAPSHOT_DAYS}
        ), pairs AS (
            SELECT d.*, days.snapshot_at FROM deals d JOIN days
              ON d.created_at < days.snapshot_at AND d.closed_at >= days.snapshot_at
            WHERE d.is_closed AND d.closed_at < ?::TIMESTAMPTZ
        ) {_SELECT}"""
    return run(sql, [last_snapshot.replace(tzinfo=None), cutoff], con=con)


# Stage-history reasons of rows dated by an import's clock, not by the data (crm/importing/opportunities.py).
UNDATED_REASONS = ("imported (undated)", "changed by import (undated)")


def data_end(*, con: Source = None) -> dt.date:
    """The last UTC day with a recorded business event: the default as-of of forecasts, backtests and scoring.

    It is the latest deal change (creation, stage, amount or close-date change, close) that the data dates;
    rows an import dated with its own clock (a file row without a date) are skipped, so importing an old data
    set today does not move its end to today. Today when nothing is dated.
    """
    value = run(
        "SELECT max(changed_at) AS last FROM stage_changes WHERE reason IS NULL OR reason NOT IN (?, ?)",
        list(UNDATED_REASONS),
        con=con,
    )["last"][0]
    return value.astimezone(dt.UTC).date() if value is not None else dt.datetime.now(dt.UTC).date()


def days_behind_today(as_of: dt.date, *, today: dt.date | None = None) -> int:
    """How many days ``as_of`` lies before today (UTC): how far a default as-of is from now."""
    return ((today or dt.datetime.now(dt.UTC).date()) - as_of).days


def won_deal_timing(as_of: dt.date, *, days: int = 365, con: Source = None) -> pl.DataFrame:
    """Deals won in the ``days`` up to ``as_of`` as they stood on each 1st and 16th they were open.

    Columns: ``days_to_expected_close`` (expected close − snapshot day), ``slip`` (close − expected close),
    ``wait`` (close − snapshot day), all in days (the first two NULL without an expected close date).
    """
    end, start = day_end(as_of), day_end(as_of - dt.timedelta(days=days))
    return run(
        f"""
        WITH won AS (
            SELECT opportunity_id, created_at, closed_at, closed_on FROM opportunities
            WHERE is_won AND closed_at < ?::TIMESTAMPTZ AND closed_at >= ?::TIMESTAMPTZ
        ), days AS (
            SELECT d::TIMESTAMPTZ AS snapshot_at
            FROM generate_series(?::TIMESTAMP - INTERVAL 2 YEAR, ?::TIMESTAMP, INTERVAL 1 DAY) AS g(d)
            WHERE day(d) IN {SNAPSHOT_DAYS}
        ), pairs AS (
            SELECT won.*, days.snapshot_at FROM won JOIN days
              ON won.created_at < days.snapshot_at AND won.closed_at >= days.snapshot_at
        )
        SELECT CAST(s.expected_close_on - CAST(p.snapshot_at AS DATE) AS BIGINT) AS days_to_expected_close,
               CAST(p.closed_on - s.expected_close_on AS BIGINT) AS slip,
               CAST(p.closed_on - CAST(p.snapshot_at AS DATE) AS BIGINT) AS wait
        FROM pairs p ASOF JOIN stage_changes s ON s.opportunity_id = p.opportunity_id AND s.changed_at < p.snapshot_at
        """,
        [end, start, end.replace(tzinfo=None), end.replace(tzinfo=None)],
        con=con,
    )
