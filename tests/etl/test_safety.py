"""What keeps the warehouse trustworthy: late commits, kills, failed checks, single flight, concurrent readers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from core.db import libpq_url
from core.warehouse import read_rows
from etl.cli import main
from etl.lock import LOCK_KEY
from etl.refresh import refresh, work_file
from etl.transform import MARTS
from tests.etl.conftest import LEAD_1, REP, mart_contents, query, sql

ROOT = Path(__file__).resolve().parents[2]


def test_change_committed_late_by_an_older_transaction_is_not_missed(crm_data, database_url, warehouse_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    writer = psycopg.connect(libpq_url(database_url))
    try:
        writer.execute(f"UPDATE leads SET title = 'CTO' WHERE id = '{LEAD_1}'")  # updated_at = this txn's start
        during = refresh(url=database_url, warehouse_path=warehouse_path)
        writer.commit()
    finally:
        writer.close()
    with psycopg.connect(libpq_url(database_url)) as conn:
        (updated_at,) = conn.execute(f"SELECT updated_at FROM leads WHERE id = '{LEAD_1}'").fetchone()
    assert updated_at < during.source_snapshot_at, "a cursor-only ETL would skip this row"
    assert query(warehouse_path, f"SELECT title FROM leads WHERE lead_id = '{LEAD_1}'") == [(None,)]

    refresh(url=database_url, warehouse_path=warehouse_path)

    assert query(warehouse_path, f"SELECT title FROM leads WHERE lead_id = '{LEAD_1}'") == [("CTO",)]


def _start_paused_refresh(phase: str, marker: Path) -> subprocess.Popen:
    env = os.environ | {"ETL_TEST_PAUSE_AT": phase, "ETL_TEST_PAUSE_FILE": str(marker)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "etl", "refresh"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"refresh ended before {phase}: {proc.stderr.read().decode()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"refresh never reached {phase}")
        time.sleep(0.05)
    return proc


@pytest.mark.parametrize("phase", ["extract", "transform", "patch", "publish", "promote"])
def test_refresh_killed_mid_way_leaves_the_warehouse_and_the_next_refresh_catches_up(
    phase, crm_data, database_url, warehouse_path, tmp_path, capsys
):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    refresh(url=database_url, warehouse_path=warehouse_path)  # both data files exist: the next run patches in place
    sql(crm_data, f"UPDATE leads SET title = 'VP' WHERE id = '{LEAD_1}'")
    refresh(url=database_url, warehouse_path=warehouse_path)  # the standby now misses this change
    served_before = warehouse_path.read_bytes()
    served_file = warehouse_path.resolve()
    sql(crm_data, f"UPDATE leads SET title = 'Head of Sales' WHERE id = '{LEAD_1}'")
    sql(crm_data, "INSERT INTO leads (email, status) VALUES ('late@example.com', 'new')")

    proc = _start_paused_refresh(phase, tmp_path / "paused")
    if phase == "extract":
        assert main(["refresh"]) == 3  # the paused run holds the advisory lock
        assert "another refresh is running (started at 20" in capsys.readouterr().err
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    if phase == "promote":  # killed after the publish: the served file is the new, complete one
        assert query(warehouse_path, f"SELECT title FROM leads WHERE lead_id = '{LEAD_1}'") == [("Head of Sales",)]
        assert warehouse_path.resolve() != served_file
    else:  # the served file is the same file, byte for byte
        assert warehouse_path.resolve() == served_file
        assert warehouse_path.read_bytes() == served_before
    result = refresh(url=database_url, warehouse_path=warehouse_path)

    assert result.mode == "incremental"
    assert query(warehouse_path, f"SELECT title FROM leads WHERE lead_id = '{LEAD_1}'") == [("Head of Sales",)]
    rebuilt = tmp_path / "rebuilt" / "warehouse.duckdb"
    refresh(full=True, url=database_url, warehouse_path=rebuilt)
    assert mart_contents(warehouse_path, MARTS) == mart_contents(rebuilt, MARTS)
    assert not list(warehouse_path.parent.glob("*.tmp-*"))


def test_failed_check_does_not_publish_and_names_the_check_and_rows(crm_data, database_url, warehouse_path, capsys):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    served_before = warehouse_path.read_bytes()
    with crm_data.begin() as conn:  # a corrupt source: foreign keys bypassed, as a bad restore would
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        conn.exec_driver_sql(
            "INSERT INTO opportunities (name, owner_id, stage, amount) "
            "VALUES ('Orphan', '00000000-0000-0000-0000-0000000000ff', 'prospecting', 10)"
        )

    assert main(["refresh"]) == 4

    err = capsys.readouterr().err
    assert "opportunities.owner_id references users.user_id failed on 1 row" in err
    assert "nothing was published" in err
    assert warehouse_path.read_bytes() == served_before
    last = query(work_file(warehouse_path), "SELECT status, error FROM etl_runs ORDER BY started_at DESC LIMIT 1")
    assert last[0][0] == "failed" and "opportunities.owner_id" in last[0][1]


def test_a_held_lock_stops_a_second_refresh_with_exit_3(crm_data, database_url, warehouse_path, capsys):
    with psycopg.connect(libpq_url(database_url), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        assert main(["refresh"]) == 3
    assert "another refresh is running (started at" in capsys.readouterr().err
    assert not warehouse_path.exists()


def test_readers_in_a_loop_never_see_an_error_or_a_partial_warehouse(crm_data, database_url, warehouse_path):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    stop = threading.Event()
    errors: list[BaseException] = []
    reads: list[int] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                (row,) = read_rows(
                    "SELECT (SELECT count(*) FROM leads), (SELECT CAST(rows_in_marts->>'leads' AS BIGINT) "
                    "FROM etl_runs ORDER BY finished_at DESC LIMIT 1), (SELECT count(*) FROM etl_runs)",
                    path=warehouse_path,
                )
                if row[0] != row[1]:
                    errors.append(AssertionError(f"partial warehouse: {row}"))
                reads.append(row[2])
                time.sleep(0.002)
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(3):
            sql(crm_data, f"INSERT INTO leads (email, status, owner_id) VALUES ('r{i}@example.com', 'new', '{REP}')")
            refresh(url=database_url, warehouse_path=warehouse_path)
    finally:
        stop.set()
        for t in threads:
            t.join()

    assert errors == []
    assert reads and max(reads) == 4
    assert query(warehouse_path, "SELECT count(*) FROM leads") == [(6,)]


READER_SCRIPT = """
import sys, time
from core.warehouse import read_rows
errors, reads, end = 0, 0, time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    try:
        (row,) = read_rows(
            "SELECT (SELECT count(*) FROM leads), (SELECT CAST(rows_in_marts->>'leads' AS BIGINT) "
            "FROM etl_runs ORDER BY finished_at DESC LIMIT 1)", path=sys.argv[1])
        errors += row[0] != row[1]
        reads += 1
    except Exception as exc:
        print("error", exc, flush=True)
        errors += 1
print("done", reads, errors, flush=True)
"""


def test_reader_processes_never_see_an_error_or_a_partial_warehouse_and_never_block_the_etl(
    crm_data, database_url, warehouse_path
):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    refresh(url=database_url, warehouse_path=warehouse_path)
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER_SCRIPT, str(warehouse_path), "12"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(2)  # the readers are reading
    modes = []
    for i in range(4):
        sql(crm_data, f"INSERT INTO leads (email, status, owner_id) VALUES ('p{i}@example.com', 'new', '{REP}')")
        modes.append(refresh(url=database_url, warehouse_path=warehouse_path).mode)
    outputs = [proc.communicate(timeout=120)[0] for proc in readers]

    assert modes == ["incremental"] * 4
    for out in outputs:
        assert out.splitlines()[-1].startswith("done") and out.splitlines()[-1].endswith(" 0"), out
        assert int(out.split()[-2]) > 0, out
    assert query(warehouse_path, "SELECT count(*) FROM leads") == [(7,)]


def test_unreachable_postgresql_is_one_sentence_exit_2_and_a_failed_run(
    crm_data, database_url, warehouse_path, monkeypatch, capsys
):
    from core.settings import get_settings

    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    get_settings.cache_clear()

    assert main(["refresh"]) == 2

    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Cannot reach PostgreSQL") and "Traceback" not in err
    assert len(err.splitlines()) == 1
    runs = query(work_file(warehouse_path), "SELECT status FROM etl_runs ORDER BY started_at")
    assert runs == [("success",), ("failed",)]
    prom = (get_settings().data_dir / "metrics" / "etl.prom").read_text()
    assert "etl_failures_total 1.0" in prom
