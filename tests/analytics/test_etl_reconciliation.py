"""After a real ETL run, the dashboard metrics equal the same figures computed straight on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from analytics.conversion import conversion_by, conversion_rate_by_source
from analytics.deals import win_rate
from analytics.filters import MetricFilter
from analytics.pipeline import open_pipeline_by_stage, pipeline_on
from demo import seed as demo
from etl import refresh as refresh_module


def test_metrics_reconcile_with_postgresql_after_a_full_refresh(clean_db, database_url, warehouse_path):
    demo.seed_demo(leads=400, seed=7, database=database_url)
    with clean_db.begin() as conn:  # late on 31 January in New York is 1 February in UTC
        conn.execute(
            text(
                "INSERT INTO leads (first_name, last_name, email, source, created_at) "
                "VALUES ('Tz', 'Probe', 'tz.probe@example.com', 'tz_probe', '2026-01-31 23:30:00-05:00')"
            )
        )
    refresh_module.refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    with clean_db.connect() as conn:
        won, closed = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE stage = 'closed_won'), "
                "count(*) FILTER (WHERE stage IN ('closed_won', 'closed_lost')) FROM opportunities"
            )
        ).one()
        open_by_stage = dict(
            conn.execute(
                text(
                    "SELECT stage, sum(amount)::float FROM opportunities "
                    "WHERE stage NOT IN ('closed_won', 'closed_lost') GROUP BY stage"
                )
            ).all()
        )
        by_source = {
            source: (n, converted)
            for source, n, converted in conn.execute(
                text(
                    "SELECT coalesce(source, '(none)'), count(*), count(*) FILTER (WHERE status = 'converted') "
                    "FROM leads GROUP BY 1"
                )
            ).all()
        }
    assert closed > 0 and by_source, "the demo data should hold closed deals and leads"

    rate = win_rate(MetricFilter(), con=warehouse_path).row(0, named=True)
    assert (rate["count_won"], rate["count_closed"]) == (won, closed)

    stages = open_pipeline_by_stage(con=warehouse_path)
    assert {k: v for k, v in stages.select("key", "amount").rows() if v} == pytest.approx(open_by_stage)

    conversion = conversion_rate_by_source(MetricFilter(), con=warehouse_path)
    assert {r["label"]: (r["count_leads"], r["count_converted"]) for r in conversion.iter_rows(named=True)} == by_source

    probe = conversion_by("cohort_month", MetricFilter(sources=("tz_probe",)), con=warehouse_path)
    assert probe["key"].to_list() == ["2026-02"]

    today = dt.datetime.now(dt.UTC).date()
    assert pipeline_on(today, con=warehouse_path)["amount"][0] == pytest.approx(sum(open_by_stage.values()))

    # id filters (owner, team, territory, the viewer's visible owners) against the warehouse's UUID columns
    with clean_db.connect() as conn:
        owner, team, territory, amount = conn.execute(
            text(
                "SELECT o.owner_id::text, u.team_id::text, o.territory_id::text, sum(o.amount)::float "
                "FROM opportunities o JOIN users u ON u.id = o.owner_id "
                "WHERE o.stage NOT IN ('closed_won', 'closed_lost') AND o.territory_id IS NOT NULL "
                "AND u.team_id IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 1"
            )
        ).one()
    narrowed = MetricFilter(owner_ids=(owner,), team_ids=(team,), territory_ids=(territory,))
    assert open_pipeline_by_stage(narrowed, con=warehouse_path)["amount"].sum() == pytest.approx(amount)
    seen_by_owner = MetricFilter(territory_ids=(territory,), visible_owner_ids=(owner,))
    assert open_pipeline_by_stage(seen_by_owner, con=warehouse_path)["amount"].sum() == pytest.approx(amount)
    unknown = MetricFilter(owner_ids=("not-a-user-id",))  # e.g. a hand-edited URL: matches nothing, no error
    assert not open_pipeline_by_stage(unknown, con=warehouse_path)["amount"].sum()
