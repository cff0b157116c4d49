"""Operating the ETL: schedule parsing, retries, SIGTERM, freshness for pages, the status command."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.errors import ConfigError
from etl.cli import main
from etl.refresh import refresh
from etl.schedule import Schedule, parse_every, run_schedule
from etl.status import warehouse_freshness

ROOT = Path(__file__).resolve().parents[2]


def test_every_accepts_seconds_minutes_hours_and_rejects_the_rest():
    assert parse_every("30s") == dt.timedelta(seconds=30)
    assert parse_every("15m") == dt.timedelta(minutes=15)
    assert parse_every("1h") == dt.timedelta(hours=1)
    with pytest.raises(ValueError, match="15m"):
        parse_every("soon")
    with pytest.raises(ConfigError, match="cron"):
        Schedule("every now and then")


def test_cron_expression_gives_the_next_slot_and_its_period():
    schedule = Schedule("*/15 * * * *")
    assert schedule.next_after(dt.datetime(2026, 1, 1, 10, 7, tzinfo=dt.UTC)) == dt.datetime(
        2026, 1, 1, 10, 15, tzinfo=dt.UTC
    )
    assert schedule.period() == dt.timedelta(minutes=15)


def test_scheduler_retries_with_backoff_while_postgresql_is_unreachable():
    stop = threading.Event()
    calls: list[float] = []

    def run_once() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise ConfigError("Cannot reach PostgreSQL")
        stop.set()
        return "ok"

    run_schedule(Schedule("1h"), run_once, stop=stop, first_backoff=0.01, install_signal_handlers=False)

    assert len(calls) == 3


def test_scheduler_stops_cleanly_on_sigterm(crm_data, database_url, warehouse_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "etl", "schedule", "--every", "1h"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not warehouse_path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)

    assert proc.returncode == 0
    assert b"refresh full" in err and b"scheduler stopped" in err


def test_freshness_gives_data_as_of_and_warns_past_twice_the_schedule(crm_data, database_url, warehouse_path):
    assert warehouse_freshness(warehouse_path).as_of is None
    result = refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    fresh = warehouse_freshness(warehouse_path)
    late = warehouse_freshness(warehouse_path, now=result.source_snapshot_at + 2 * fresh.schedule + dt.timedelta(1))

    assert fresh.as_of == result.source_snapshot_at and not fresh.is_stale
    assert fresh.label().startswith("Data as of ")
    assert late.is_stale and "older than twice the refresh schedule" in late.label()


def test_status_shows_runs_freshness_counts_and_failures(crm_data, database_url, warehouse_path, capsys):
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    assert main(["status"]) == 0

    out = capsys.readouterr().out
    assert "Data as of" in out and "full" in out and "success" in out
    assert "failures among them: 0" in out
    assert "leads" in out and "pipeline_daily" in out
