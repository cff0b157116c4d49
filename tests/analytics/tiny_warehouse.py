"""A tiny serving warehouse with hand-computed numbers, built with the marts' contract (docs/warehouse.md).

Stage history is given per deal as events; stage_changes, opportunity_history and pipeline_daily are
derived from it the way the contract describes, so the metrics can be checked by hand.
One departure: ids are short readable names ("ann", "o1") in VARCHAR columns, where the ETL writes UUIDs,
so the expectations stay readable; the UUID columns are exercised on ETL-built warehouses
(tests/analytics/test_etl_reconciliation.py, tests/etl, tests/pages).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

DDL = """
CREATE TABLE leads (lead_id VARCHAR, external_id VARCHAR, first_name VARCHAR, last_name VARCHAR, full_name VARCHAR,
  email VARCHAR, phone VARCHAR, company VARCHAR, title VARCHAR, industry VARCHAR, employee_count BIGINT,
  annual_revenue DECIMAL(14,2), country VARCHAR, source VARCHAR, campaign VARCHAR, status VARCHAR,
  engagement_score DOUBLE, score DOUBLE, owner_id VARCHAR, owner_name VARCHAR, team_id VARCHAR, team_name VARCHAR,
  territory_id VARCHAR, territory_name VARCHAR, account_id VARCHAR, converted_opportunity_id VARCHAR,
  is_converted BOOLEAN, created_at TIMESTAMPTZ, created_on DATE, created_month DATE, converted_at TIMESTAMPTZ,
  converted_on DATE, days_to_convert DOUBLE, updated_at TIMESTAMPTZ);
CREATE TABLE opportunities (opportunity_id VARCHAR, external_id VARCHAR, name VARCHAR, account_id VARCHAR,
  account_name VARCHAR, account_industry VARCHAR, lead_id VARCHAR, source VARCHAR, owner_id VARCHAR,
  owner_name VARCHAR, team_id VARCHAR, team_name VARCHAR, territory_id VARCHAR, territory_name VARCHAR,
  stage VARCHAR, is_open BOOLEAN, is_closed BOOLEAN, is_won BOOLEAN, amount DECIMAL(14,2), currency VARCHAR,
  probability DOUBLE, weighted_amount DECIMAL(14,2), forecast_category VARCHAR, expected_close_on DATE,
  created_at TIMESTAMPTZ, created_on DATE, closed_at TIMESTAMPTZ, closed_on DATE, lost_reason VARCHAR,
  stage_entered_at TIMESTAMPTZ, days_in_stage DOUBLE, days_open DOUBLE, count_close_date_pushes BIGINT,
  count_amount_changes BIGINT, updated_at TIMESTAMPTZ);
CREATE TABLE stage_changes (stage_change_id VARCHAR, opportunity_id VARCHAR, from_stage VARCHAR, to_stage VARCHAR,
  amount DECIMAL(14,2), expected_close_on DATE, changed_at TIMESTAMPTZ, changed_on DATE, changed_by_id VARCHAR,
  reason VARCHAR, is_stage_change BOOLEAN, is_backward BOOLEAN, valid_to_at TIMESTAMPTZ, days_in_stage DOUBLE);
CREATE TABLE opportunity_history (opportunity_id VARCHAR, valid_from_at TIMESTAMPTZ, valid_to_at TIMESTAMPTZ,
  stage VARCHAR, amount DECIMAL(14,2), expected_close_on DATE, probability DOUBLE, owner_id VARCHAR,
  team_id VARCHAR, territory_id VARCHAR, is_open BOOLEAN);
CREATE TABLE pipeline_daily (snapshot_on DATE, stage VARCHAR, owner_id VARCHAR, team_id VARCHAR,
  territory_id VARCHAR, count_open BIGINT, amount DECIMAL(14,2), weighted_amount DECIMAL(14,2));
CREATE TABLE users (user_id VARCHAR, email VARCHAR, name VARCHAR, role VARCHAR, is_active BOOLEAN,
  manager_id VARCHAR, team_id VARCHAR, team_name VARCHAR, territory_id VARCHAR, territory_name VARCHAR,
  created_at TIMESTAMPTZ);
CREATE TABLE teams (team_id VARCHAR, name VARCHAR, manager_id VARCHAR, manager_name VARCHAR);
CREATE TABLE territories (territory_id VARCHAR, name VARCHAR, region VARCHAR, priority BIGINT, is_active BOOLEAN);
CREATE TABLE quotas (quota_id VARCHAR, user_id VARCHAR, quarter_start_on DATE, quarter_end_on DATE,
  amount DECIMAL(14,2), currency VARCHAR);
CREATE TABLE etl_runs (run_id VARCHAR, mode VARCHAR, status VARCHAR, started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ, duration_seconds DOUBLE, source_snapshot_at TIMESTAMPTZ, rows_extracted JSON,
  rows_in_marts JSON, error VARCHAR);
"""

PROBABILITY = {"prospecting": 0.1, "discovery": 0.2, "proposal": 0.5, "negotiation": 0.8}
UTC = dt.UTC
TEAMS = {"t1": "East Team", "t2": "West Team"}
TERRITORIES = {"e": "East", "w": "West"}
# user id → (name, role, team, territory)
USERS = {
    "ann": ("Ann Able", "rep", "t1", "e"),
    "bob": ("Bob Baker", "rep", "t1", "e"),
    "cid": ("Cid Cole", "rep", "t2", "w"),
    "mia": ("Mia Manager", "manager", "t1", "e"),
}


def ts(text: str) -> dt.datetime:
    """A timestamp from ISO text; without an offset it is UTC."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# (lead id, source, owner, created_at, converted_at)
LEADS = [
    ("l1", "web", "ann", "2026-01-10", "2026-01-20"),
    ("l2", "web", "ann", "2026-01-15", None),
    ("l3", "web", "bob", "2026-02-01", "2026-03-03"),
    ("l4", "event", "bob", "2026-02-10", None),
    ("l5", "event", "cid", "2026-01-31T23:30:00-05:00", "2026-02-05T04:30:00"),  # Feb 1 04:30 UTC
    ("l6", "referral", "cid", "2026-03-20", None),
]
# deal id → (owner, source, lead, lost reason, events [(at, stage, amount, expected close)])
DEALS: dict[str, tuple[str, str, str | None, str | None, list[tuple[str, str, float, str]]]] = {
    "o1": (
        "ann",
        "web",
        "l1",
        None,
        [
            ("2026-01-20", "prospecting", 1000, "2026-03-15"),
            ("2026-02-01", "discovery", 1000, "2026-03-15"),
            ("2026-02-10", "proposal", 1000, "2026-03-15"),
            ("2026-03-01", "closed_won", 1000, "2026-03-15"),
        ],
    ),
    "o2": (
        "bob",
        "web",
        "l3",
        "price",
        [
            ("2026-03-03", "prospecting", 500, "2026-04-01"),
            ("2026-03-10", "discovery", 500, "2026-04-01"),
            ("2026-03-20", "closed_lost", 500, "2026-04-01"),
        ],
    ),
    "o3": (
        "cid",
        "event",
        "l5",
        None,
        [
            ("2026-02-05", "prospecting", 3000, "2026-03-31"),
            ("2026-02-20", "proposal", 3000, "2026-03-31"),
            ("2026-03-05", "negotiation", 3000, "2026-03-31"),
            ("2026-03-10", "negotiation", 2500, "2026-03-25"),  # amount cut, close pulled in
            ("2026-03-31T20:00:00-08:00", "closed_won", 2500, "2026-03-25"),  # Apr 1 04:00 UTC
        ],
    ),
    "o4": (
        "ann",
        "web",
        None,
        None,
        [
            ("2026-02-15", "prospecting", 2000, "2026-03-31"),
            ("2026-03-01", "proposal", 2000, "2026-03-31"),
            ("2026-03-20", "proposal", 2000, "2026-04-30"),  # close pushed out
        ],
    ),
    "o5": ("bob", "event", None, None, [("2026-03-10", "prospecting", 0, "2026-05-15")]),  # zero amount
    "o6": (
        "cid",
        "referral",
        None,
        None,
        [
            ("2026-01-05", "prospecting", 4000, "2026-03-01"),
            ("2026-01-15", "discovery", 4000, "2026-03-01"),
            ("2026-02-01", "negotiation", 4000, "2026-04-10"),
            ("2026-03-15", "negotiation", 5000, "2026-04-10"),  # amount raised
        ],
    ),
    "o7": (
        "ann",
        "web",
        None,
        "timing",
        [("2026-01-25", "prospecting", 700, "2026-02-28"), ("2026-02-20", "closed_lost", 700, "2026-02-28")],
    ),
}
# (user, quarter start, amount)
QUOTAS = [
    ("ann", "2026-01-01", 10000),
    ("bob", "2026-01-01", 6000),
    ("cid", "2026-01-01", 5000),
    ("ann", "2026-04-01", 12000),
]
LAST_DAY = dt.date(2026, 4, 15)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    frame = pl.DataFrame(rows, infer_schema_length=None)  # noqa: F841 - read by DuckDB below
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame")


def _person(owner: str) -> dict[str, Any]:
    name, _, team, territory = USERS[owner]
    return {
        "owner_id": owner,
        "owner_name": name,
        "team_id": team,
        "team_name": TEAMS[team],
        "territory_id": territory,
        "territory_name": TERRITORIES[territory],
    }


def build_warehouse(
    path: Path,
    *,
    leads: list[tuple] | None = None,
    deals: dict[str, tuple] | None = None,
    quotas: list[tuple] | None = None,
    last_day: dt.date = LAST_DAY,
    snapshot_at: dt.datetime | None = None,
) -> Path:
    """Write a warehouse file at ``path`` from lead and deal tuples (defaults: the hand-computed set)."""
    leads = LEADS if leads is None else leads
    deals = DEALS if deals is None else deals
    quotas = QUOTAS if quotas is None else quotas
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(DDL)
    _insert(con, "teams", [{"team_id": t, "name": n} for t, n in TEAMS.items()])
    _insert(con, "territories", [{"territory_id": t, "name": n, "is_active": True} for t, n in TERRITORIES.items()])
    users = []
    for uid, (name, role, _team, _territory) in USERS.items():
        users.append(
            {"user_id": uid, "email": f"{uid}@example.com", "name": name, "role": role, "is_active": True}
            | {k: v for k, v in _person(uid).items() if not k.startswith("owner")}
        )
    _insert(con, "users", users)
    lead_rows = []
    for lead_id, source, owner, created, converted in leads:
        created_at, converted_at = ts(created), ts(converted) if converted else None
        lead_rows.append(
            {
                "lead_id": lead_id,
                "full_name": f"Lead {lead_id}",
                "email": f"{lead_id}@example.com",
                "source": source,
                "status": "converted" if converted else "new",
                "is_converted": converted is not None,
                "created_at": created_at,
                "converted_at": converted_at,
                **_person(owner),
            }
        )
    _insert(con, "leads", lead_rows)
    deal_rows, change_rows = [], []
    for deal_id, (owner, source, lead_id, lost_reason, events) in deals.items():
        previous = None
        stage_entered = None
        for i, (at, stage, amount, close_on) in enumerate(events):
            if stage != previous:
                stage_entered = ts(at)
            change_rows.append(
                {
                    "stage_change_id": f"{deal_id}-{i}",
                    "opportunity_id": deal_id,
                    "from_stage": previous,
                    "to_stage": stage,
                    "amount": amount,
                    "expected_close_on": dt.date.fromisoformat(close_on),
                    "changed_at": ts(at),
                    "is_stage_change": stage != previous,
                    "owner_id": owner,
                }
            )
            previous = stage
        at, stage, amount, close_on = events[-1]
        closed = stage.startswith("closed")
        deal_rows.append(
            {
                "opportunity_id": deal_id,
                "name": f"Deal {deal_id}",
                "account_name": f"Account {deal_id}",
                "lead_id": lead_id,
                "source": source,
                "stage": stage,
                "is_open": not closed,
                "is_closed": closed,
                "is_won": stage == "closed_won",
                "amount": amount,
                "currency": "USD",
                "probability": PROBABILITY.get(stage, 1.0 if stage == "closed_won" else 0.0),
                "weighted_amount": 0 if closed else amount * PROBABILITY[stage],
                "expected_close_on": dt.date.fromisoformat(close_on),
                "created_at": ts(events[0][0]),
                "closed_at": ts(at) if closed else None,
                "lost_reason": lost_reason,
                "stage_entered_at": stage_entered,
                **_person(owner),
            }
        )
    _insert(con, "opportunities", deal_rows)
    _insert(con, "stage_changes", [{k: v for k, v in r.items() if k != "owner_id"} for r in change_rows])
    _insert(
        con,
        "quotas",
        [
            {
                "quota_id": f"{user}-{start}",
                "user_id": user,
                "quarter_start_on": dt.date.fromisoformat(start),
                "quarter_end_on": _quarter_end(dt.date.fromisoformat(start)),
                "amount": amount,
                "currency": "USD",
            }
            for user, start, amount in quotas
        ],
    )
    con.execute("""
        UPDATE leads SET created_on = (created_at AT TIME ZONE 'UTC')::DATE,
            created_month = date_trunc('month', created_at AT TIME ZONE 'UTC')::DATE,
            converted_on = (converted_at AT TIME ZONE 'UTC')::DATE,
            days_to_convert = (epoch(converted_at) - epoch(created_at)) / 86400;
        UPDATE opportunities SET created_on = (created_at AT TIME ZONE 'UTC')::DATE,
            closed_on = (closed_at AT TIME ZONE 'UTC')::DATE;
        UPDATE stage_changes s SET changed_on = (changed_at AT TIME ZONE 'UTC')::DATE, valid_to_at = n.next_at
          FROM (SELECT stage_change_id,
                       lead(changed_at) OVER (PARTITION BY opportunity_id ORDER BY changed_at) AS next_at
                FROM stage_changes) n WHERE n.stage_change_id = s.stage_change_id;
        INSERT INTO opportunity_history
          SELECT s.opportunity_id, s.changed_at, s.valid_to_at, s.to_stage, s.amount, s.expected_close_on,
                 CASE s.to_stage WHEN 'prospecting' THEN 0.1 WHEN 'discovery' THEN 0.2 WHEN 'proposal' THEN 0.5
                      WHEN 'negotiation' THEN 0.8 WHEN 'closed_won' THEN 1.0 ELSE 0.0 END,
                 o.owner_id, o.team_id, o.territory_id, s.to_stage NOT IN ('closed_won', 'closed_lost')
          FROM stage_changes s JOIN opportunities o USING (opportunity_id);
    """)
    con.execute(
        """
        INSERT INTO pipeline_daily
        SELECT d.day::DATE, h.stage, h.owner_id, h.team_id, h.territory_id, count(*), sum(h.amount),
               sum(h.amount * h.probability)
        FROM (SELECT unnest(generate_series(?::DATE, ?::DATE, INTERVAL 1 DAY)) AS day) d
        JOIN opportunity_history h
          ON h.valid_from_at < d.day + INTERVAL 1 DAY
         AND (h.valid_to_at IS NULL OR h.valid_to_at >= d.day + INTERVAL 1 DAY)
        WHERE h.is_open GROUP BY ALL
        """,
        [dt.date(2026, 1, 1), last_day],
    )
    snapshot = snapshot_at or dt.datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
    _insert(
        con,
        "etl_runs",
        [
            {
                "run_id": "r1",
                "mode": "full",
                "status": "success",
                "started_at": snapshot,
                "finished_at": snapshot + dt.timedelta(seconds=5),
                "duration_seconds": 5.0,
                "source_snapshot_at": snapshot,
            }
        ],
    )
    con.close()
    return path


def _quarter_end(start: dt.date) -> dt.date:
    month = start.month + 3
    year = start.year + (month > 12)
    return dt.date(year, (month - 1) % 12 + 1, 1) - dt.timedelta(days=1)


def build_empty_warehouse(path: Path) -> Path:
    """A warehouse with every mart and no rows."""
    return build_warehouse(path, leads=[], deals={}, quotas=[])
