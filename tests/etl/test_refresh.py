"""Full and incremental refreshes on a real PostgreSQL: marts, grains, values, changes and deletes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from etl.metrics import TextfileCollector
from etl.refresh import refresh, work_file
from etl.transform import MARTS
from tests.etl.conftest import (
    LEAD_1,
    LEAD_2,
    LEAD_3,
    OPP_OPEN,
    OPP_WON,
    REP,
    TERRITORY,
    mart_contents,
    query,
    sql,
)

CONTRACT_COLUMNS = {
    "leads": "lead_id, external_id, first_name, last_name, full_name, email, phone, company, title, industry, "
    "employee_count, annual_revenue, country, source, campaign, status, engagement_score, score, owner_id, "
    "owner_name, team_id, team_name, territory_id, territory_name, account_id, converted_opportunity_id, "
    "is_converted, created_at, created_on, created_month, converted_at, converted_on, days_to_convert, updated_at",
    "opportunities": "opportunity_id, external_id, name, account_id, account_name, account_industry, lead_id, "
    "source, owner_id, owner_name, team_id, team_name, territory_id, territory_name, stage, is_open, is_closed, "
    "is_won, amount, currency, probability, weighted_amount, forecast_category, expected_close_on, created_at, "
    "created_on, closed_at, closed_on, lost_reason, stage_entered_at, days_in_stage, days_open, "
    "count_close_date_pushes, count_amount_changes, updated_at",
    "stage_changes": "stage_change_id, opportunity_id, from_stage, to_stage, amount, expected_close_on, changed_at, "
    "changed_on, changed_by_id, reason, is_stage_change, is_backward, valid_to_at, days_in_stage",
    "opportunity_history": "opportunity_id, valid_from_at, valid_to_at, stage, amount, expected_close_on, "
    "probability, owner_id, team_id, territory_id, is_open",
    "pipeline_daily": "snapshot_on, stage, owner_id, team_id, territory_id, count_open, amount, weighted_amount",
    "users": "user_id, email, name, role, is_active, manager_id, team_id, team_name, territory_id, territory_name, "
    "created_at",
    "teams": "team_id, name, manager_id, manager_name",
    "territories": "territory_id, name, region, priority, is_active",
    "quotas": "quota_id, user_id, quarter_start_on, quarter_end_on, amount, currency",
    "etl_runs": "run_id, mode, status, started_at, finished_at, duration_seconds, source_snapshot_at, "
    "rows_extracted, rows_in_marts, error",
}


def columns(path, table):
    return [r[0] for r in query(path, f"SELECT column_name FROM (DESCRIBE {table})")]


def test_full_refresh_publishes_every_mart_with_the_contract_columns(crm_data, database_url, warehouse_path):
    result = refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    assert result.mode == "full"
    assert result.rows_extracted["leads"] == 3
    for table, expected in CONTRACT_COLUMNS.items():
        assert columns(warehouse_path, table) == [c.strip() for c in expected.split(",")], table
    assert {r[0] for r in query(warehouse_path, "SELECT table_name FROM duckdb_tables()")} == {
        *MARTS,
        "etl_runs",
        "etl_state",
    }


def test_leads_mart_has_one_row_per_lead_with_names_and_conversion(crm_data, database_url, warehouse_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    rows = query(
        warehouse_path,
        "SELECT lead_id, full_name, owner_name, team_name, territory_name, is_converted, created_on, created_month, "
        "days_to_convert FROM leads ORDER BY lead_id",
    )
    jan = dt.date(2025, 1, 1)
    common = ("Rob Rep", "Team North")
    assert rows == [
        (LEAD_1, "John Doe", *common, "EMEA", False, jan, jan, None),
        (LEAD_2, "anon@example.com", *common, None, False, dt.date(2025, 1, 2), jan, None),
        (LEAD_3, "Ada Won", *common, "EMEA", True, dt.date(2025, 1, 3), jan, pytest.approx(1.9583, abs=1e-3)),
    ]


def test_opportunities_mart_derives_state_probability_and_history_counts(crm_data, database_url, warehouse_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    won, open_ = query(
        warehouse_path,
        "SELECT opportunity_id, source, is_open, is_won, probability, weighted_amount, forecast_category, "
        "stage_entered_at, closed_on, count_close_date_pushes, count_amount_changes, account_name "
        "FROM opportunities ORDER BY opportunity_id",
    )
    assert won[0] == OPP_WON and open_[0] == OPP_OPEN
    assert won[1:7] == ("referral", False, True, 1.0, Decimal("0.00"), "closed")
    assert won[7] == dt.datetime(2025, 1, 20, 12, tzinfo=dt.UTC)
    assert won[8:12] == (dt.date(2025, 1, 20), 1, 1, "Acme")
    assert open_[1:7] == (None, True, False, 0.5, Decimal("400.00"), "best_case")


def test_stage_changes_and_dimensions_follow_their_grain(crm_data, database_url, warehouse_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    changes = query(
        warehouse_path,
        "SELECT to_stage, is_stage_change, valid_to_at FROM stage_changes "
        f"WHERE opportunity_id = '{OPP_WON}' ORDER BY changed_at",
    )
    assert changes == [
        ("prospecting", True, dt.datetime(2025, 1, 10, 12, tzinfo=dt.UTC)),
        ("proposal", True, dt.datetime(2025, 1, 20, 12, tzinfo=dt.UTC)),
        ("closed_won", True, None),
    ]
    assert query(warehouse_path, "SELECT name, manager_name FROM teams") == [("Team North", "Maya Manager")]
    assert query(warehouse_path, "SELECT count(*), count(DISTINCT user_id) FROM users") == [(2, 2)]
    assert query(warehouse_path, "SELECT user_id, quarter_start_on, quarter_end_on, amount FROM quotas") == [
        (REP, dt.date(2025, 1, 1), dt.date(2025, 3, 31), Decimal("50000.00"))
    ]
    assert query(warehouse_path, "SELECT territory_id, region FROM territories") == [(TERRITORY, "europe")]


def test_pipeline_history_answers_what_was_open_on_a_past_day(crm_data, database_url, warehouse_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    def open_on(day: str) -> list[tuple]:
        return query(
            warehouse_path,
            "SELECT opportunity_id, stage, amount FROM opportunity_history "
            f"WHERE valid_from_at <= TIMESTAMPTZ '{day} 23:59:59.999999+00' "
            f"AND (valid_to_at IS NULL OR valid_to_at > TIMESTAMPTZ '{day} 23:59:59.999999+00') AND is_open "
            "ORDER BY opportunity_id",
        )

    def daily(day: str) -> list[tuple]:
        return query(
            warehouse_path,
            f"SELECT stage, count_open, amount FROM pipeline_daily WHERE snapshot_on = DATE '{day}' ORDER BY stage",
        )

    assert open_on("2025-01-05") == [(OPP_WON, "prospecting", Decimal("1000.00"))]
    assert daily("2025-01-05") == [("prospecting", 1, Decimal("1000.00"))]
    assert open_on("2025-01-15") == [
        (OPP_WON, "proposal", Decimal("1500.00")),
        (OPP_OPEN, "proposal", Decimal("800.00")),
    ]
    assert daily("2025-01-15") == [("proposal", 2, Decimal("2300.00"))]
    assert daily("2025-01-25") == [("proposal", 1, Decimal("800.00"))]
    assert daily("2025-01-04") == []
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert daily(today) == [("proposal", 1, Decimal("800.00"))]


def test_incremental_refresh_picks_up_inserts_updates_and_deletes(crm_data, database_url, warehouse_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    sql(crm_data, f"UPDATE leads SET status = 'qualified', first_name = 'Johnny' WHERE id = '{LEAD_1}'")
    sql(crm_data, f"DELETE FROM leads WHERE id = '{LEAD_2}'")
    sql(crm_data, "INSERT INTO leads (email, first_name, status) VALUES ('new@example.com', 'Nina', 'new')")
    sql(crm_data, f"UPDATE opportunities SET stage = 'negotiation', amount = 900 WHERE id = '{OPP_OPEN}'")
    sql(
        crm_data,
        "INSERT INTO opportunity_stage_history (opportunity_id, from_stage, to_stage, amount, changed_at) "
        f"VALUES ('{OPP_OPEN}', 'proposal', 'negotiation', 900, now())",
    )

    result = refresh(url=database_url, warehouse_path=warehouse_path)

    assert result.mode == "incremental"
    assert result.rows_extracted["deleted"] == 1
    assert query(warehouse_path, "SELECT full_name, status FROM leads ORDER BY full_name") == [
        ("Ada Won", "converted"),
        ("Johnny Doe", "qualified"),
        ("Nina", "new"),
    ]
    assert query(warehouse_path, f"SELECT stage, amount FROM opportunities WHERE opportunity_id = '{OPP_OPEN}'") == [
        ("negotiation", Decimal("900.00"))
    ]
    assert query(warehouse_path, "SELECT count(*) FROM stage_changes") == [(5,)]
    days_open, days_in_stage = query(
        warehouse_path, f"SELECT days_open, days_in_stage FROM opportunities WHERE opportunity_id = '{OPP_OPEN}'"
    )[0]
    now_days = (result.source_snapshot_at - dt.datetime(2025, 1, 6, 9, tzinfo=dt.UTC)).total_seconds() / 86400
    assert days_open == pytest.approx(now_days)  # clock-dependent columns follow the new snapshot
    assert days_in_stage < 1


def test_incremental_result_equals_a_full_rebuild(crm_data, database_url, warehouse_path, tmp_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    sql(crm_data, f"UPDATE opportunities SET amount = 700 WHERE id = '{OPP_OPEN}'")
    sql(  # a history row moved to another deal must leave the first one
        crm_data,
        f"UPDATE opportunity_stage_history SET opportunity_id = '{OPP_OPEN}' "
        f"WHERE opportunity_id = '{OPP_WON}' AND to_stage = 'prospecting'",
    )
    refresh(url=database_url, warehouse_path=warehouse_path)
    assert query(warehouse_path, "SELECT opportunity_id, count(*) FROM stage_changes GROUP BY ALL ORDER BY ALL") == [
        (OPP_WON, 2),
        (OPP_OPEN, 2),
    ]
    sql(crm_data, f"UPDATE users SET name = 'Robert Rep' WHERE id = '{REP}'")  # a dimension every mart shows
    sql(crm_data, "UPDATE teams SET name = 'Team Polar'")
    sql(crm_data, f"UPDATE leads SET source = 'partner' WHERE id = '{LEAD_3}'")  # the won deal's source
    sql(crm_data, f"DELETE FROM opportunity_stage_history WHERE opportunity_id = '{OPP_OPEN}'")
    sql(crm_data, f"DELETE FROM leads WHERE id = '{LEAD_2}'")
    refresh(url=database_url, warehouse_path=warehouse_path)
    assert query(warehouse_path, "SELECT DISTINCT owner_name, team_name FROM opportunities") == [
        ("Robert Rep", "Team Polar")
    ]
    sql(crm_data, f"DELETE FROM opportunities WHERE id = '{OPP_WON}'")
    refresh(url=database_url, warehouse_path=warehouse_path)
    rebuilt = tmp_path / "rebuilt" / "warehouse.duckdb"
    refresh(full=True, url=database_url, warehouse_path=rebuilt)

    assert mart_contents(warehouse_path, MARTS) == mart_contents(rebuilt, MARTS)


def test_second_refresh_without_changes_changes_nothing(crm_data, database_url, warehouse_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    before = mart_contents(warehouse_path, MARTS)

    refresh(url=database_url, warehouse_path=warehouse_path)
    refresh(url=database_url, warehouse_path=warehouse_path)

    assert mart_contents(warehouse_path, MARTS) == before
    runs = query(warehouse_path, "SELECT mode, status FROM etl_runs ORDER BY started_at")
    assert runs == [("full", "success"), ("incremental", "success"), ("incremental", "success")]


def test_run_log_and_metrics_describe_each_run(crm_data, database_url, warehouse_path):
    result = refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    (row,) = query(warehouse_path, "SELECT status, source_snapshot_at, rows_extracted, rows_in_marts FROM etl_runs")
    assert row[0] == "success" and row[1] == result.source_snapshot_at
    assert json.loads(row[2])["leads"] == 3 and json.loads(row[3])["opportunities"] == 2
    assert work_file(warehouse_path).exists()
    from core.settings import get_settings

    textfile = get_settings().data_dir / "metrics" / "etl.prom"
    prom = textfile.read_text()
    assert 'etl_rows_extracted{table="leads"} 3.0' in prom
    assert "etl_last_success_timestamp_seconds" in prom and "etl_failures_total" in prom
    served = {family.name: family for family in TextfileCollector(textfile).collect()}
    (as_of,) = served["sales_warehouse_data_as_of_timestamp_seconds"].samples
    assert as_of.value == pytest.approx(result.source_snapshot_at.timestamp())


def test_refreshes_alternate_between_two_data_files_behind_the_serving_symlink(crm_data, database_url, warehouse_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    served = []
    for title in ("CEO", "CFO", "COO"):
        sql(crm_data, f"UPDATE leads SET title = '{title}' WHERE id = '{LEAD_1}'")
        assert refresh(url=database_url, warehouse_path=warehouse_path).mode == "incremental"
        served.append(warehouse_path.readlink().name)
        assert query(warehouse_path, f"SELECT title FROM leads WHERE lead_id = '{LEAD_1}'") == [(title,)]

    assert served == ["warehouse.b.duckdb", "warehouse.a.duckdb", "warehouse.b.duckdb"]
    # each data file carries every run, including those published in the other one
    assert query(warehouse_path, "SELECT count(*) FROM etl_runs WHERE status = 'success'") == [(4,)]


def test_a_plain_served_file_from_before_is_adopted_without_a_full_refresh(crm_data, database_url, warehouse_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    plain = warehouse_path.read_bytes()
    current = warehouse_path.resolve()
    warehouse_path.unlink()
    warehouse_path.write_bytes(plain)  # the layout of earlier versions: one plain served file
    current.unlink()
    sql(crm_data, f"UPDATE leads SET title = 'CEO' WHERE id = '{LEAD_1}'")

    assert refresh(url=database_url, warehouse_path=warehouse_path).mode == "incremental"
    assert warehouse_path.is_symlink()
    assert query(warehouse_path, f"SELECT title FROM leads WHERE lead_id = '{LEAD_1}'") == [("CEO",)]


def test_numeric_values_arrive_exactly_through_the_scaled_integer_extraction(crm_data, database_url, warehouse_path):
    # the largest numeric(16, 2) revenue, odd cents and a fractional score; NULL stays NULL
    sql(crm_data, f"UPDATE leads SET annual_revenue = 99999999999999.99, score = 87.65 WHERE id = '{LEAD_1}'")
    sql(crm_data, f"UPDATE leads SET annual_revenue = 0.01 WHERE id = '{LEAD_2}'")
    sql(crm_data, f"UPDATE opportunities SET amount = 123456789012.34, probability = 33.33 WHERE id = '{OPP_OPEN}'")
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    revenue = dict(query(warehouse_path, "SELECT lead_id, annual_revenue FROM leads"))
    assert (revenue[LEAD_1], revenue[LEAD_2], revenue[LEAD_3]) == (
        Decimal("99999999999999.99"),
        Decimal("0.01"),
        None,
    )
    assert query(warehouse_path, f"SELECT score FROM leads WHERE lead_id = '{LEAD_1}'") == [(87.65,)]
    assert query(
        warehouse_path, f"SELECT amount, probability FROM opportunities WHERE opportunity_id = '{OPP_OPEN}'"
    ) == [(Decimal("123456789012.34"), 0.3333)]
