"""Schema drift: new columns are ignored; a dropped or retyped replicated column fails naming it."""

from __future__ import annotations

from etl.cli import main
from etl.refresh import refresh
from tests.etl.conftest import query, sql


def test_new_column_in_postgresql_does_not_break_a_refresh(crm_data, database_url, warehouse_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    sql(crm_data, "ALTER TABLE leads ADD COLUMN nickname text")
    try:
        sql(crm_data, "UPDATE leads SET nickname = 'JD', title = 'VP' WHERE email = 'john@example.com'")
        result = refresh(url=database_url, warehouse_path=warehouse_path)
    finally:
        sql(crm_data, "ALTER TABLE leads DROP COLUMN nickname")

    assert result.mode == "incremental"
    assert query(warehouse_path, "SELECT title FROM leads WHERE email = 'john@example.com'") == [("VP",)]


def test_dropped_column_fails_naming_it(crm_data, warehouse_path, capsys):
    sql(crm_data, "ALTER TABLE territories DROP COLUMN region")
    try:
        code = main(["refresh"])
    finally:
        sql(crm_data, "ALTER TABLE territories ADD COLUMN region varchar(80)")

    assert code == 2
    assert "column territories.region was dropped in PostgreSQL" in capsys.readouterr().err
    assert not warehouse_path.exists()


def test_retyped_column_fails_naming_it(crm_data, warehouse_path, capsys):
    sql(crm_data, "ALTER TABLE teams ALTER COLUMN name TYPE text")
    try:
        code = main(["refresh", "--full"])
    finally:
        sql(crm_data, "ALTER TABLE teams ALTER COLUMN name TYPE varchar(120)")

    assert code == 2
    assert "column teams.name changed type in PostgreSQL: expected varchar, found text" in capsys.readouterr().err
