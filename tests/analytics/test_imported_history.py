"""Imported deals without stage history: the warehouse shows only what the file says, each fact from when known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
from sqlalchemy import Engine

from analytics.deal_features import closed_deal_snapshots, data_end, open_deal_features
from etl.refresh import refresh
from tests.crm.import_support import run_import

# W-1 won and L-1 lost (close_value only after closing, 0 when lost, like Maven); O-1 open in a later stage,
# P-1 open without any date (created at the import).
DEALS = (
    b"external_id,name,stage,amount,created_at,closed_at\n"
    b"W-1,Won later,closed_won,9000,2021-01-05,2021-03-10\n"
    b"L-1,Lost later,closed_lost,0,2021-01-20,2021-04-02\n"
    b"O-1,Still open,negotiation,4000,2021-02-01,\n"
    b"P-1,Undated,prospecting,,,\n"
)


def _import_and_refresh(engine: Engine, database_url: str, warehouse_path: Path) -> None:
    report = run_import(engine, entity="opportunities", source=DEALS)
    assert (report.inserted, report.error_count) == (4, 0), report.errors
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)


def _state_at(path: Path, moment: dt.datetime) -> dict[str, tuple[str, Decimal | None]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            """
            SELECT o.external_id, h.stage, h.amount
            FROM opportunity_history h JOIN opportunities o USING (opportunity_id)
            WHERE h.valid_from_at <= ? AND (h.valid_to_at IS NULL OR h.valid_to_at > ?)
            """,
            [moment, moment],
        ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_imported_closed_deals_are_open_with_unknown_amount_until_their_close(
    clean_db: Engine, database_url: str, warehouse_path: Path
) -> None:
    _import_and_refresh(clean_db, database_url, warehouse_path)

    before_close = _state_at(warehouse_path, dt.datetime(2021, 3, 1, tzinfo=dt.UTC))
    after_close = _state_at(warehouse_path, dt.datetime(2021, 4, 5, tzinfo=dt.UTC))

    assert before_close == {
        "W-1": ("prospecting", None),
        "L-1": ("prospecting", None),
        "O-1": ("prospecting", None),  # negotiation is known only from the import
    }
    assert after_close["W-1"] == ("closed_won", Decimal("9000.00"))
    assert after_close["L-1"] == ("closed_lost", Decimal("0.00"))
    assert after_close["O-1"] == ("prospecting", None)
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        negotiation_from = con.execute(
            "SELECT min(valid_from_at) FROM opportunity_history h JOIN opportunities o USING (opportunity_id) "
            "WHERE o.external_id = 'O-1' AND h.stage = 'negotiation'"
        ).fetchall()[0][0]
        pipeline = con.execute(
            "SELECT stage, sum(count_open), sum(amount) FROM pipeline_daily WHERE snapshot_on = DATE '2021-03-01' "
            "GROUP BY stage"
        ).fetchall()
    assert negotiation_from.year >= 2026  # the import day, not created_at
    # on a day before any close, three deals open in the first stage, none of them with a known amount
    assert pipeline == [("prospecting", 3, Decimal("0.00"))]


def test_win_model_features_before_close_do_not_show_the_outcome(
    clean_db: Engine, database_url: str, warehouse_path: Path
) -> None:
    _import_and_refresh(clean_db, database_url, warehouse_path)

    snaps = closed_deal_snapshots(dt.date(2021, 8, 1), con=warehouse_path)
    open_then = open_deal_features(dt.date(2021, 3, 1), con=warehouse_path)

    assert set(snaps["stage"]) == {"prospecting"}
    assert snaps["amount"].null_count() == snaps.height  # the won 9000 and the lost 0 are unknown while open
    assert sorted(open_then["name"]) == ["Lost later", "Still open", "Won later"]
    assert open_then["amount"].null_count() == 3


def test_undated_rows_do_not_move_the_data_end(clean_db: Engine, database_url: str, warehouse_path: Path) -> None:
    _import_and_refresh(clean_db, database_url, warehouse_path)

    # the last dated event is L-1's close; O-1's stage and P-1 are dated by the import clock (today)
    assert data_end(con=warehouse_path) == dt.date(2021, 4, 2)
