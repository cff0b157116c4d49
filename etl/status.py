"""How fresh the served warehouse is, and the recent runs (for pages and ``python -m etl status``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from core.settings import get_settings
from core.warehouse import WarehouseMissing, data_as_of, read_rows, warehouse_file
from etl.metrics import read_failing_since
from etl.schedule import parse_every


@dataclass(frozen=True)
class Freshness:
    """``data as of`` for a page: the source snapshot of the last published run and whether it is stale."""

    as_of: datetime | None
    age: timedelta | None
    schedule: timedelta
    is_stale: bool
    failing_since: datetime | None = None  # the automatic refresh has failed on every run since then

    def label(self) -> str:
        """E.g. "Data as of 2026-11-28 18:00 UTC (12 min ago)" or a warning when stale or missing."""
        if self.as_of is None or self.age is None:
            return "No data yet: the warehouse has not been built (run `python -m etl refresh`)."
        minutes = int(self.age.total_seconds() // 60)
        ago = f"{minutes} min ago" if minutes < 120 else f"{minutes // 60} h ago"
        text = f"Data as of {self.as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({ago})"
        if self.is_stale:
            text += f" — older than twice the refresh schedule ({_human(self.schedule)})"
        if self.failing_since is not None:
            text += f"; every refresh has failed since {self.failing_since.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        return text


def _human(delta: timedelta) -> str:
    s = int(delta.total_seconds())
    return f"{s // 3600} h" if s % 3600 == 0 else (f"{s // 60} min" if s % 60 == 0 else f"{s} s")


def warehouse_freshness(path: Path | None = None, *, now: datetime | None = None) -> Freshness:
    """Read ``etl_runs`` of the served file: data-as-of time, age, schedule (ETL_EVERY) and staleness (> 2×)."""
    schedule = _schedule_interval()
    failing = read_failing_since(get_settings().data_dir)
    try:
        as_of = data_as_of(warehouse_file(path))
    except (WarehouseMissing, duckdb.Error):
        return Freshness(as_of=None, age=None, schedule=schedule, is_stale=True, failing_since=failing)
    if as_of is None:
        return Freshness(as_of=None, age=None, schedule=schedule, is_stale=True, failing_since=failing)
    age = (now or datetime.now(UTC)) - as_of
    return Freshness(as_of=as_of, age=age, schedule=schedule, is_stale=age > 2 * schedule, failing_since=failing)


def _schedule_interval() -> timedelta:
    try:
        return parse_every(get_settings().etl_every)
    except ValueError:
        return timedelta(minutes=15)


@dataclass(frozen=True)
class RunRow:
    """One line of the run log."""

    started_at: datetime
    mode: str
    status: str
    duration_seconds: float | None
    source_snapshot_at: datetime | None
    rows_extracted: dict[str, int]
    error: str | None


def recent_runs(work: Path, serving: Path, limit: int = 10) -> tuple[list[RunRow], str]:
    """The newest runs from the work file (includes failures), else from the served file; and which was read."""
    query = (
        "SELECT started_at, mode, status, duration_seconds, source_snapshot_at, rows_extracted, error "
        f"FROM etl_runs ORDER BY started_at DESC LIMIT {int(limit)}"
    )
    for source in (work, serving):
        if not source.exists():
            continue
        try:
            rows = read_rows(query, path=source)
        except duckdb.Error:  # e.g. the work file is held by a running refresh
            continue
        return [RunRow(r[0], r[1], r[2], r[3], r[4], json.loads(r[5] or "{}"), r[6]) for r in rows], str(source)
    return [], ""


def mart_row_counts(serving: Path) -> dict[str, int]:
    """Rows per table in the served file."""
    try:
        rows = read_rows(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE database_name = current_database() "
            "ORDER BY table_name",
            path=serving,
        )
    except (WarehouseMissing, duckdb.Error):
        return {}
    counts = {}
    for table, _ in rows:
        counts[table] = read_rows(f'SELECT count(*) FROM "{table}"', path=serving)[0][0]
    return counts
