"""Dashboard metrics on the DuckDB serving warehouse vs the same figures computed directly on PostgreSQL.

Usage (your own database and warehouse, e.g. after ``python -m crm seed-demo --leads 1000000`` and
``python -m etl refresh --full``):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_x WAREHOUSE_PATH=/tmp/x/warehouse.duckdb \
        .venv/bin/python benchmarks/dashboard_queries.py [--repeat 5] [--markdown]

Each metric runs once (first) and ``--repeat`` more times (median reported). The DuckDB side is the
analytics function itself (ATTACH read-only per query, as the app does, no Streamlit cache); the
PostgreSQL side is hand-written SQL over the source tables computing the same figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics import conversion, deals, pipeline, team
from analytics.filters import MetricFilter
from core.db import normalize_url
from core.settings import get_settings

TODAY = dt.datetime.now(dt.UTC).date()
YEAR = MetricFilter(start_on=TODAY - dt.timedelta(days=364), end_on=TODAY)
MONTH_AGO = TODAY - dt.timedelta(days=30)
CLOSED = "('closed_won', 'closed_lost')"
RANGE = "created_at >= %(start)s::date AND created_at < %(end)s::date + 1"
CLOSED_RANGE = "closed_at >= %(start)s::date AND closed_at < %(end)s::date + 1"

STATE_ON = """
    SELECT DISTINCT ON (opportunity_id) opportunity_id, to_stage, amount, expected_close_date
    FROM opportunity_stage_history WHERE changed_at < {day}::date + 1
    ORDER BY opportunity_id, changed_at DESC
"""

CASES: list[tuple[str, Callable[[Path], object], str]] = [
    (
        "open pipeline by stage",
        lambda p: pipeline.open_pipeline_by_stage(con=p),
        f"SELECT stage, count(*), sum(amount), sum(amount * coalesce(probability, 0) / 100) FROM opportunities "
        f"WHERE stage NOT IN {CLOSED} GROUP BY stage",
    ),
    (
        "open pipeline by owner",
        lambda p: pipeline.open_pipeline_by("owner", con=p),
        f"SELECT o.owner_id, u.name, count(*), sum(o.amount) FROM opportunities o JOIN users u ON u.id = o.owner_id "
        f"WHERE o.stage NOT IN {CLOSED} GROUP BY 1, 2",
    ),
    (
        "conversion by source (1 year)",
        lambda p: conversion.conversion_by("source", YEAR, con=p),
        "SELECT source, count(*), count(*) FILTER (WHERE status = 'converted'), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM converted_at - created_at) / 86400) "
        f"FILTER (WHERE status = 'converted') FROM leads WHERE {RANGE} GROUP BY source",
    ),
    (
        "cohort conversion curves (1 year × 12 months)",
        lambda p: conversion.cohort_conversion_curves(YEAR, con=p),
        "SELECT date_trunc('month', created_at AT TIME ZONE 'UTC') AS cohort, k, "
        "count(*) FILTER (WHERE created_at + make_interval(months => k) <= now()), "
        "count(*) FILTER (WHERE created_at + make_interval(months => k) <= now() AND status = 'converted' "
        "AND converted_at <= created_at + make_interval(months => k)) "
        f"FROM leads CROSS JOIN generate_series(1, 12) AS k WHERE {RANGE} GROUP BY 1, 2",
    ),
    (
        "stage funnel (1 year)",
        lambda p: conversion.stage_funnel(YEAR, con=p),
        "WITH o AS (SELECT id FROM opportunities WHERE created_at >= %(start)s::date "
        "AND created_at < %(end)s::date + 1), m AS (SELECT h.opportunity_id, max(CASE h.to_stage "
        "WHEN 'prospecting' THEN 1 WHEN 'discovery' THEN 2 WHEN 'proposal' THEN 3 WHEN 'negotiation' THEN 4 "
        "WHEN 'closed_won' THEN 5 ELSE 1 END) AS reached FROM opportunity_stage_history h JOIN o "
        "ON o.id = h.opportunity_id GROUP BY 1) SELECT s, count(*) FILTER (WHERE reached >= s) FROM m "
        "CROSS JOIN generate_series(1, 5) AS s GROUP BY s",
    ),
    (
        "win rate by owner (1 year)",
        lambda p: deals.win_rate(YEAR, by="owner", con=p),
        f"SELECT owner_id, count(*) FILTER (WHERE stage = 'closed_won'), count(*) FROM opportunities "
        f"WHERE stage IN {CLOSED} AND {CLOSED_RANGE} GROUP BY owner_id",
    ),
    (
        "sales cycle median/P90 (1 year)",
        lambda p: deals.sales_cycle_length(YEAR, con=p),
        "SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at)) "
        f"FROM opportunities WHERE stage = 'closed_won' AND {CLOSED_RANGE}",
    ),
    (
        "stage duration median/P90 (1 year)",
        lambda p: deals.stage_duration(YEAR, con=p),
        "WITH e AS (SELECT to_stage, changed_at, lead(changed_at) OVER (PARTITION BY opportunity_id "
        "ORDER BY changed_at) AS left_at FROM opportunity_stage_history "
        "WHERE from_stage IS DISTINCT FROM to_stage) SELECT to_stage, percentile_cont(ARRAY[0.5, 0.9]) "
        "WITHIN GROUP (ORDER BY extract(epoch FROM left_at - changed_at)) FROM e "
        f"WHERE left_at >= %(start)s::date AND left_at < %(end)s::date + 1 AND to_stage NOT IN {CLOSED} "
        "GROUP BY to_stage",
    ),
    (
        "stale deals",
        lambda p: deals.stale_deals(con=p),
        "WITH e AS (SELECT to_stage, changed_at, lead(changed_at) OVER (PARTITION BY opportunity_id "
        "ORDER BY changed_at) AS left_at FROM opportunity_stage_history WHERE from_stage IS DISTINCT FROM to_stage), "
        "p AS (SELECT to_stage AS stage, percentile_cont(0.9) WITHIN GROUP (ORDER BY left_at - changed_at) AS p90 "
        "FROM e WHERE left_at IS NOT NULL GROUP BY 1), cur AS (SELECT DISTINCT ON (opportunity_id) opportunity_id, "
        "changed_at FROM opportunity_stage_history WHERE from_stage IS DISTINCT FROM to_stage "
        "ORDER BY opportunity_id, changed_at DESC) SELECT o.id FROM opportunities o "
        "JOIN cur ON cur.opportunity_id = o.id "
        f"JOIN p ON p.stage = o.stage WHERE o.stage NOT IN {CLOSED} AND now() - cur.changed_at > p.p90",
    ),
    (
        "pipeline on a day 30 days ago",
        lambda p: pipeline.pipeline_on(MONTH_AGO, con=p),
        f"SELECT count(*), sum(amount) FROM ({STATE_ON.format(day='%(past)s')}) s WHERE to_stage NOT IN {CLOSED}",
    ),
    (
        "pipeline changes, 30 days ago → today",
        lambda p: pipeline.pipeline_changes(MONTH_AGO, TODAY, con=p),
        f"SELECT coalesce(f.opportunity_id, t.opportunity_id), f.amount, t.amount, f.expected_close_date, "
        f"t.expected_close_date FROM ({STATE_ON.format(day='%(past)s')}) f FULL JOIN "
        f"({STATE_ON.format(day='%(end)s')}) t USING (opportunity_id) "
        f"WHERE f.to_stage NOT IN {CLOSED} OR t.to_stage NOT IN {CLOSED}",
    ),
    (
        "rep leaderboard (1 year)",
        lambda p: team.rep_leaderboard(YEAR, con=p),
        "SELECT u.id, u.name, sum(o.amount) FILTER (WHERE o.stage = 'closed_won'), count(o.id), "
        "(SELECT sum(q.amount) FROM quotas q WHERE q.user_id = u.id AND q.period_start BETWEEN %(start)s AND %(end)s) "
        f"FROM users u LEFT JOIN opportunities o ON o.owner_id = u.id AND o.stage IN {CLOSED} AND o.{CLOSED_RANGE} "
        "GROUP BY u.id, u.name",
    ),
]


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    began = time.perf_counter()
    fn()
    first = time.perf_counter() - began
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - began)
    return first, statistics.median(runs)


def main() -> int:
    """Run every case on both engines and print a table (Markdown with --markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    settings = get_settings()
    warehouse = settings.warehouse_path
    pg_url = normalize_url(settings.database_url or "").replace("postgresql+psycopg://", "postgresql://")
    params = {"start": YEAR.start_on, "end": YEAR.end_on, "past": MONTH_AGO}
    rows = []
    with psycopg.connect(pg_url) as pg:
        pg.execute("SET TimeZone = 'UTC'")
        for name, duck_fn, sql in CASES:
            duck = _time(lambda duck_fn=duck_fn: duck_fn(warehouse), args.repeat)
            pg_time = _time(lambda sql=sql: pg.execute(sql, params).fetchall(), args.repeat)
            rows.append((name, duck, pg_time))
    print("| metric | DuckDB first | DuckDB median | PostgreSQL first | PostgreSQL median | PG ÷ DuckDB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (d_first, d_med), (p_first, p_med) in rows:
        print(
            f"| {name} | {d_first * 1000:,.0f} ms | {d_med * 1000:,.0f} ms | {p_first * 1000:,.0f} ms | "
            f"{p_med * 1000:,.0f} ms | {p_med / d_med:,.1f}× |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
