"""ETL observability: JSON log lines carry the run id, and each run is counted in the process metrics."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY, generate_latest

from core.errors import ConfigError
from core.logging import configure_logging
from etl.metrics import metrics_file, scheduler_registry
from etl.refresh import refresh
from etl.schedule import Schedule, run_schedule


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Capture the root logger's JSON lines (as ``configure_logging`` sets them up) for one test."""
    root = logging.getLogger()
    before_level, before = root.level, list(root.handlers)
    stream = io.StringIO()
    handler = configure_logging("INFO", stream=stream)
    yield stream
    root.removeHandler(handler)
    for h in before:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(before_level)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_every_log_line_of_a_refresh_carries_its_run_id(crm_data, database_url, warehouse_path, json_lines):
    result = refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    lines = [line for line in _lines(json_lines) if line["logger"].startswith("etl")]
    assert len(lines) >= 3
    assert {line.get("run_id") for line in lines} == {result.run_id}
    assert any(line["message"] == "refresh done" and line["mode"] == "full" for line in lines)


def test_a_successful_refresh_is_counted_and_keeps_the_textfile(crm_data, database_url, warehouse_path):
    runs_before = _sample("sales_etl_runs_total", mode="full", status="success")
    durations_before = _sample("sales_etl_run_duration_seconds_count", mode="full")

    refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    assert _sample("sales_etl_runs_total", mode="full", status="success") == runs_before + 1
    assert _sample("sales_etl_run_duration_seconds_count", mode="full") == durations_before + 1
    assert _sample("sales_etl_last_success_timestamp_seconds") > 0
    from core.settings import get_settings

    assert "etl_run_duration_seconds" in metrics_file(get_settings().data_dir).read_text()
    served = generate_latest(scheduler_registry(get_settings().data_dir)).decode()
    assert "etl_run_duration_seconds{" in served and 'sales_etl_runs_total{mode="full",status="success"}' in served


def test_a_failed_refresh_is_counted_as_an_etl_error(tmp_path):
    failed_before = _sample("sales_etl_runs_total", mode="incremental", status="failed")
    errors_before = _sample("sales_errors_total", component="etl", kind="ConfigError")

    with pytest.raises(ConfigError):
        refresh(url="postgresql://postgres@127.0.0.1:1/nowhere", warehouse_path=tmp_path / "w.duckdb")

    assert _sample("sales_etl_runs_total", mode="incremental", status="failed") == failed_before + 1
    assert _sample("sales_errors_total", component="etl", kind="ConfigError") == errors_before + 1


def test_the_scheduler_gives_each_attempt_its_own_run_id(json_lines):
    stop = threading.Event()
    log = logging.getLogger("etl.test")
    attempts: list[int] = []

    def run_once() -> str:
        attempts.append(1)
        log.info("attempt %d", len(attempts))
        if len(attempts) < 2:
            raise ConfigError("Cannot reach PostgreSQL")
        stop.set()
        return "ok"

    run_schedule(Schedule("1h"), run_once, stop=stop, first_backoff=0.01, install_signal_handlers=False)

    lines = _lines(json_lines)
    first = next(line for line in lines if line["message"] == "attempt 1")
    second = next(line for line in lines if line["message"] == "attempt 2")
    assert first["run_id"] != second["run_id"]
    retry = [line for line in lines if "retrying in" in line["message"]]
    assert [line["run_id"] for line in retry] == [first["run_id"]]
    assert [line["run_id"] for line in lines if line["message"] == "ok"] == [second["run_id"]]
    assert "run_id" not in next(line for line in lines if line["message"] == "scheduler stopped")
