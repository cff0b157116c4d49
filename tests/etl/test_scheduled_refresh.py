"""The scheduler that ``./scripts/run`` starts beside the app keeps the dashboards fresh by itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from analytics.conversion import conversion_rate_by_source
from etl.metrics import read_failing_since
from etl.refresh import refresh
from tests.etl.conftest import REP, query, sql

ROOT = Path(__file__).resolve().parents[2]


def _lead_in_warehouse(path: Path, email: str) -> bool:
    if not path.exists():
        return False
    try:
        return bool(query(path, f"SELECT count(*) FROM leads WHERE email = '{email}'")[0][0])
    except Exception:
        return False


def test_scheduled_refresh_brings_a_lead_inserted_by_sql_to_the_dashboards(crm_data, database_url, warehouse_path):
    env = {**os.environ, "DATABASE_URL": database_url, "WAREHOUSE_PATH": str(warehouse_path), "METRICS_PORT": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "etl", "schedule", "--every", "5s"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120  # generous: the machine is shared; the schedule itself is 5 s
        while not warehouse_path.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        email = f"sched-{uuid.uuid4().hex[:8]}@example.com"
        sql(
            crm_data,
            "INSERT INTO leads (id, first_name, last_name, email, source, status, owner_id) "
            "VALUES (:id, 'Sched', 'Uled', :email, 'webinar', 'new', :owner)",
            id=str(uuid.uuid4()),
            email=email,
            owner=str(REP),
        )
        while not _lead_in_warehouse(warehouse_path, email) and time.monotonic() < deadline:
            time.sleep(0.5)

        assert _lead_in_warehouse(warehouse_path, email), "the scheduled refresh never brought the new lead"
        by_source = conversion_rate_by_source(con=warehouse_path)
        assert "webinar" in by_source.get_column(by_source.columns[0]).to_list()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert proc.returncode == 0


def test_failing_since_marks_the_first_failure_after_the_last_success(crm_data, database_url, warehouse_path):
    from core.settings import get_settings

    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    data_dir = get_settings().data_dir
    assert read_failing_since(data_dir) is None

    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017 - any failure counts as a failed run
            refresh(url=unreachable, warehouse_path=warehouse_path)
    first_failure = read_failing_since(data_dir)
    assert first_failure is not None

    with pytest.raises(Exception):  # noqa: B017
        refresh(url=unreachable, warehouse_path=warehouse_path)
    assert read_failing_since(data_dir) == first_failure  # still since the first one

    refresh(url=database_url, warehouse_path=warehouse_path)
    assert read_failing_since(data_dir) is None
