"""Prometheus metrics: the specification's names, cache and pool gauges, warehouse gauges, the server."""

from __future__ import annotations

import functools
import socket
import urllib.request
from pathlib import Path

import duckdb
import pytest
from prometheus_client.parser import text_string_to_metric_families

from analytics.gauges import refresh_warehouse_gauges
from core import db as core_db
from core import metrics, metrics_server
from core.metrics import (
    ACTIVE_PIPELINE_AMOUNT,
    API_REQUEST_DURATION,
    LEAD_CREATED,
    OPPORTUNITY_STAGE_CHANGE,
    instrument_cache,
    metrics_payload,
    observe_api_request,
    record_error,
    record_etl_run,
)


def _samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics_payload()[0].decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(name: str, **labels: str) -> float | None:
    return _samples().get((name, tuple(sorted(labels.items()))))


def test_specification_metric_names_and_labels():
    assert LEAD_CREATED._name == "sales_lead_created"  # exposed as sales_lead_created_total
    assert LEAD_CREATED._labelnames == ("source", "status")
    assert OPPORTUNITY_STAGE_CHANGE._labelnames == ("from_stage", "to_stage")
    assert API_REQUEST_DURATION._name == "sales_api_request_duration_seconds"
    assert API_REQUEST_DURATION._labelnames == ("method", "route", "status_code")
    assert ACTIVE_PIPELINE_AMOUNT._labelnames == ("stage", "territory")


def test_counters_appear_in_the_exposition_text():
    before = _value("sales_lead_created_total", source="webinar", status="new") or 0
    LEAD_CREATED.labels(source="webinar", status="new").inc()
    assert _value("sales_lead_created_total", source="webinar", status="new") == before + 1


def test_api_requests_are_observed_by_route_template_and_status():
    observe_api_request(method="get", route="/api/v1/leads/{lead_id}", status_code=404, seconds=0.02)
    labels = {"method": "GET", "route": "/api/v1/leads/{lead_id}", "status_code": "404"}
    assert _value("sales_api_request_duration_seconds_count", **labels) >= 1


def test_errors_are_counted_by_component_and_type():
    before = _value("sales_errors_total", component="api", kind="KeyError") or 0
    record_error(component="api", error=KeyError("x"))
    assert _value("sales_errors_total", component="api", kind="KeyError") == before + 1


def test_a_successful_etl_run_sets_the_freshness_gauge():
    record_etl_run(mode="incremental", status="success", seconds=1.5, finished_at=1_800_000_000.0)
    assert _value("sales_etl_last_success_timestamp_seconds") == 1_800_000_000.0
    record_etl_run(mode="incremental", status="failed", seconds=0.5)
    assert _value("sales_etl_last_success_timestamp_seconds") == 1_800_000_000.0
    assert _value("sales_etl_runs_total", mode="incremental", status="failed") >= 1


def test_instrumented_cache_counts_hits_and_misses_and_keeps_clear():
    calls: list[int] = []

    @instrument_cache("squares", functools.cache)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    hits = _value("sales_cache_hits_total", cache="squares") or 0
    misses = _value("sales_cache_misses_total", cache="squares") or 0
    assert [square(3), square(3), square(4)] == [9, 9, 16]
    assert calls == [3, 4]
    assert _value("sales_cache_hits_total", cache="squares") == hits + 1
    assert _value("sales_cache_misses_total", cache="squares") == misses + 2
    square.cache_clear()
    square(3)
    assert calls == [3, 4, 3]


def test_pool_gauges_report_each_engine_of_the_process(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'pool.db'}"  # any QueuePool engine made by core.db will do
    engine = core_db.get_engine(url)
    database = engine.url.database
    try:
        with engine.connect():
            assert _value("sales_db_pool_connections_in_use", database=database) == 1
        assert _value("sales_db_pool_connections_in_use", database=database) == 0
        assert _value("sales_db_pool_connections_max", database=database) == 15  # pool_size 5 + overflow 10
    finally:
        core_db._engines.pop(url).dispose()


def _warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE opportunities AS SELECT * FROM (VALUES "
            "('proposal', 'West', 100.0::DECIMAL(14,2), true), ('proposal', 'West', 50.0, true), "
            "('discovery', NULL, 10.0, true), ('closed_won', 'West', 999.0, false)) "
            "t(stage, territory_name, amount, is_open)"
        )
        con.execute(
            "CREATE TABLE leads AS SELECT * FROM (VALUES ('web', true, now()), ('web', false, now())) "
            "t(source, is_converted, created_at)"
        )
        con.execute(
            "CREATE TABLE etl_runs AS SELECT * FROM (VALUES "
            "('success', TIMESTAMPTZ '2026-11-28 10:00:00+00'), ('failed', TIMESTAMPTZ '2026-11-28 11:00:00+00')) "
            "t(status, source_snapshot_at)"
        )


def test_warehouse_gauges_come_from_the_serving_file(tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    _warehouse(path)
    refresh_warehouse_gauges(path)
    assert _value("sales_active_pipeline_amount", stage="proposal", territory="West") == 150.0
    assert _value("sales_active_pipeline_amount", stage="discovery", territory="unassigned") == 10.0
    assert _value("sales_active_pipeline_amount", stage="closed_won", territory="West") is None
    assert _value("sales_warehouse_data_as_of_timestamp_seconds") == 1_795_860_000.0


def test_no_warehouse_yet_leaves_the_gauges_alone(tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    _warehouse(path)
    refresh_warehouse_gauges(path)
    before = (
        _value("sales_active_pipeline_amount", stage="proposal", territory="West"),
        _value("sales_warehouse_data_as_of_timestamp_seconds"),
    )
    refresh_warehouse_gauges(tmp_path / "missing.duckdb")  # no exception
    after = (
        _value("sales_active_pipeline_amount", stage="proposal", territory="West"),
        _value("sales_warehouse_data_as_of_timestamp_seconds"),
    )
    assert after == before == (150.0, 1_795_860_000.0)


def test_scrape_runs_due_refreshers_and_survives_a_failing_one():
    runs: list[str] = []
    metrics.register_scrape_refresher("probe", lambda: runs.append("x"), every_seconds=3600)

    def broken() -> None:
        raise RuntimeError("warehouse gone")

    metrics.register_scrape_refresher("broken", broken, every_seconds=3600)
    try:
        metrics_payload()
        metrics_payload()
        assert runs == ["x"]  # throttled to once per hour
        assert _value("sales_errors_total", component="metrics", kind="RuntimeError") >= 1
    finally:
        metrics.WAREHOUSE_COLLECTOR._refreshers.pop("probe")
        metrics.WAREHOUSE_COLLECTOR._refreshers.pop("broken")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_streamlit_metrics_server_starts_once_per_process(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(metrics_server, "_attempted", False)
    monkeypatch.setattr(metrics_server, "_started_port", None)
    monkeypatch.setattr(metrics_server, "enable_data_as_of_gauge", lambda **_: None)
    port = _free_port()
    assert metrics_server.start_metrics_server(port, addr="127.0.0.1") == port
    assert metrics_server.start_metrics_server(_free_port(), addr="127.0.0.1") == port  # second call: same server
    assert metrics_server.metrics_server_port() == port
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert "sales_lead_created_total" in body


def test_metrics_server_can_be_disabled_and_tolerates_a_taken_port(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(metrics_server, "_attempted", False)
    monkeypatch.setattr(metrics_server, "_started_port", None)
    assert metrics_server.start_metrics_server(0) is None
    monkeypatch.setattr(metrics_server, "_attempted", False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert metrics_server.start_metrics_server(taken.getsockname()[1], addr="127.0.0.1") is None
