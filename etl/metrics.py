"""Prometheus metrics of the ETL, written for the node-exporter textfile collector (atomically)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from prometheus_client import REGISTRY, CollectorRegistry, Gauge, start_http_server, write_to_textfile
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

log = logging.getLogger(__name__)


FAILING_SINCE_METRIC = "etl_failing_since_timestamp_seconds"


def metrics_file(data_dir: Path) -> Path:
    """Where the textfile collector should look: ``<DATA_DIR>/metrics/etl.prom``."""
    return data_dir / "metrics" / "etl.prom"


def write_metrics(work: Path, data_dir: Path) -> Path | None:
    """Write ``etl.prom`` from the work file's run log; return its path (None when there is no run log)."""
    if not work.exists():
        return None
    try:
        duck = duckdb.connect(":memory:")
        try:
            duck.execute(f"ATTACH '{str(work).replace(chr(39), chr(39) * 2)}' AS work (READ_ONLY)")
            last = duck.execute(
                "SELECT duration_seconds, rows_extracted, status FROM work.main.etl_runs "
                "ORDER BY started_at DESC LIMIT 1"
            ).fetchall()
            success = duck.execute(
                "SELECT epoch(max(finished_at)), epoch(max(source_snapshot_at)) FROM work.main.etl_runs "
                "WHERE status = 'success'"
            ).fetchall()[0]
            failures = duck.execute("SELECT count(*) FROM work.main.etl_runs WHERE status = 'failed'").fetchall()[0][0]
            failing_since = duck.execute(  # the first failure after the last success (None when the last run worked)
                "SELECT epoch(min(started_at)) FROM work.main.etl_runs WHERE status = 'failed' AND started_at > "
                "coalesce((SELECT max(started_at) FROM work.main.etl_runs WHERE status = 'success'), "
                "TIMESTAMPTZ '-infinity')"
            ).fetchall()[0][0]
        finally:
            duck.close()
    except duckdb.Error as exc:
        log.warning("could not read the run log for metrics: %s", exc)
        return None
    registry = CollectorRegistry()
    duration = Gauge("etl_run_duration_seconds", "Duration of the last ETL run", ["status"], registry=registry)
    rows = Gauge("etl_rows_extracted", "Rows extracted per table by the last ETL run", ["table"], registry=registry)
    last_success = Gauge("etl_last_success_timestamp_seconds", "End of the last successful run", registry=registry)
    failed = Gauge("etl_failures_total", "Failed ETL runs recorded in the run log", registry=registry)
    failing = Gauge(
        FAILING_SINCE_METRIC,
        "Start of the first failed run since the last successful one (0 when the last run succeeded)",
        registry=registry,
    )
    age = Gauge("etl_data_age_seconds", "Age of the served data (now − source snapshot)", registry=registry)
    as_of = Gauge(
        "sales_warehouse_data_as_of_timestamp_seconds",
        "Source snapshot time of the served warehouse (data as of)",
        registry=registry,
    )
    if last:
        seconds, extracted, status = last[0]
        duration.labels(status=status).set(seconds or 0)
        for table, n in json.loads(extracted or "{}").items():
            rows.labels(table=table).set(n)
    if success[0] is not None:
        last_success.set(success[0])
        age.set(datetime.now(UTC).timestamp() - success[1])
        as_of.set(success[1])
    failed.set(failures)
    failing.set(failing_since or 0)
    path = metrics_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)  # writes a temp file and renames it
    return path


def read_failing_since(data_dir: Path) -> datetime | None:
    """When the refresh started failing (from ``etl.prom``; None when the last run succeeded or none ran)."""
    try:
        text = metrics_file(data_dir).read_text()
    except OSError:
        return None
    for family in text_string_to_metric_families(text):
        if family.name == FAILING_SINCE_METRIC and family.samples and family.samples[0].value > 0:
            return datetime.fromtimestamp(family.samples[0].value, UTC)
    return None


class TextfileCollector:
    """Serves the metrics of ``etl.prom`` as they are on disk at each scrape (for the scheduler's port)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def collect(self) -> Iterator[Metric]:
        """The metric families currently in the textfile (none before the first run)."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return
        yield from text_string_to_metric_families(text)


class ProcessCollector:
    """This process's ``core.metrics`` (``sales_etl_runs_total``, ``sales_errors_total`` …) at each scrape."""

    def collect(self) -> Iterator[Metric]:
        """Every metric family of the default registry."""
        yield from REGISTRY.collect()


def scheduler_registry(data_dir: Path) -> CollectorRegistry:
    """What the scheduler serves: ``etl.prom`` as on disk plus this process's ``core.metrics``."""
    registry = CollectorRegistry()
    registry.register(TextfileCollector(metrics_file(data_dir)))
    registry.register(ProcessCollector())
    return registry


def serve_metrics(data_dir: Path, port: int) -> bool:
    """Expose ``etl.prom`` and the process metrics over HTTP on ``port`` (the scheduler does); False when taken."""
    registry = scheduler_registry(data_dir)
    try:
        start_http_server(port, registry=registry)
    except OSError as exc:
        log.warning("metrics not served on port %s (%s); the textfile is still written", port, exc)
        return False
    return True
