"""One refresh: lock, extract (full or incremental), build marts, check, publish, then promote the work state.

Crash safety: the served file is only ever replaced by a complete, checked file (``os.replace``), and the
work file (replicated tables + watermark) only moves forward *after* the publish — a full refresh writes a
new work file and renames it, an incremental one commits its merge in one DuckDB transaction. A run killed
anywhere therefore leaves the served warehouse as it was, and the next run starts from the last promoted
watermark; re-extracting an already-published change is harmless (de-duplication on the key).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from sqlalchemy.engine import make_url

from core.db import database_url, libpq_url
from core.errors import ConfigError
from core.logging import current_context, log_context, new_id
from core.metrics import record_error, record_etl_run
from core.settings import get_settings
from etl import extract, lock, publish, runlog
from etl.checks import DataCheckFailed, run_checks
from etl.metrics import write_metrics
from etl.specs import TABLES, spec_fingerprint
from etl.transform import MARTS, build_marts, create_staging_views, models_fingerprint, patch_marts

log = logging.getLogger(__name__)

# Incremental runs patch a copy of the served file; every MAX_PATCHES runs the marts are rebuilt whole,
# which also compacts the file (patching leaves freed blocks behind).
MAX_PATCHES = 48

# Largest tables first so the extraction workers finish together.
EXTRACT_ORDER = ("leads", "opportunity_stage_history", "opportunities", "accounts")


@dataclass(frozen=True)
class RefreshResult:
    """What a successful refresh did."""

    run_id: str
    mode: str
    rows_extracted: dict[str, int]
    rows_in_marts: dict[str, int]
    seconds: float
    source_snapshot_at: datetime

    def summary(self) -> str:
        """The one line ``python -m etl refresh`` prints."""
        changed = ", ".join(f"{k} {v}" for k, v in self.rows_extracted.items() if v or self.mode == "full")
        as_of = self.source_snapshot_at.astimezone(UTC).isoformat(timespec="seconds")
        return f"refresh {self.mode}: rows {changed or 'none changed'}; {self.seconds:.2f} s; data as of {as_of}"


def work_file(serving: Path) -> Path:
    """The ETL's private work file next to the serving file (replicated tables, state, run log)."""
    return serving.with_name(f"{serving.stem}.etl-work.duckdb")


def source_identity(url: str) -> str:
    """Which database the work file replicates (host and database name, no password)."""
    u = make_url(url)
    return f"{u.host or u.query.get('host', '')}:{u.port or ''}/{u.database}"


def _pause_for_tests(phase: str) -> None:
    """Test hook: with ETL_TEST_PAUSE_AT=<phase>, announce the phase in ETL_TEST_PAUSE_FILE and wait to be killed."""
    if os.environ.get("ETL_TEST_PAUSE_AT") == phase:  # test-only hook, not configuration
        Path(os.environ["ETL_TEST_PAUSE_FILE"]).write_text(str(os.getpid()))
        time.sleep(600)


def _connect_duckdb() -> duckdb.DuckDBPyConnection:
    duck = duckdb.connect(":memory:")
    duck.execute("SET TimeZone = 'UTC'")
    duck.execute("SET preserve_insertion_order = false")
    duck.execute("SET enable_progress_bar = false")
    return duck


def _attach(duck: duckdb.DuckDBPyConnection, path: Path, alias: str, *, read_only: bool = False) -> None:
    escaped = str(path).replace("'", "''")
    duck.execute(f"ATTACH '{escaped}' AS {alias}" + (" (READ_ONLY)" if read_only else ""))


def refresh(
    *, full: bool = False, url: str | None = None, warehouse_path: Path | None = None, workers: int = 2
) -> RefreshResult:
    """Bring the serving warehouse up to date with PostgreSQL (incremental unless ``full`` or no state).

    Every line logged during the run carries its ``run_id`` (the id bound by the caller, e.g. the scheduler,
    or a new one), and the run is counted in the process metrics (``record_etl_run``, ``record_error``).
    A run skipped because another one holds the lock is neither.
    """
    run_id = current_context().get("run_id") or new_id()
    mode = "full" if full else "incremental"
    with log_context(run_id=run_id):
        began = time.perf_counter()
        try:
            result = _refresh(run_id, full=full, url=url, warehouse_path=warehouse_path, workers=workers)
        except lock.RefreshRunning:
            raise
        except BaseException as exc:
            record_etl_run(mode=mode, status="failed", seconds=time.perf_counter() - began)
            record_error(component="etl", error=exc)
            raise  # the caller reports it: one sentence from the CLI, a log line (with this run_id) from the scheduler
        record_etl_run(mode=result.mode, status="success", seconds=result.seconds, finished_at=time.time())
        log.info("refresh done", extra={"mode": result.mode, "duration_ms": round(result.seconds * 1000)})
        return result


def _refresh(run_id: str, *, full: bool, url: str | None, warehouse_path: Path | None, workers: int) -> RefreshResult:
    settings = get_settings()
    serving = Path(warehouse_path or settings.warehouse_path)
    serving.parent.mkdir(parents=True, exist_ok=True)
    work = work_file(serving)
    sa_url = url or database_url()
    pg_url = libpq_url(sa_url)
    try:
        conn = lock.connect(pg_url)
    except ConfigError as exc:  # still a failed run: logged, and counted in the metrics
        now = _now()
        run = runlog.Run(run_id=run_id, mode="full" if full else "incremental", started_at=now)
        run.status, run.finished_at, run.duration_seconds, run.error = "failed", now, 0.0, str(exc)
        if work.exists():
            _record_failure(work, run)
            write_metrics(work, settings.data_dir)
        raise
    try:
        with lock.refresh_lock(conn):
            publish.remove_stale_temp_files(serving, work)
            run = runlog.Run(run_id=run_id, mode="full" if full else "incremental", started_at=_now())
            began = time.perf_counter()
            try:
                result = _refresh_locked(
                    conn, run, pg_url, source_identity(sa_url), serving, work, full, workers, began
                )
            except BaseException as exc:
                run.status = "failed"
                run.finished_at = _now()
                run.duration_seconds = round(time.perf_counter() - began, 3)
                run.error = str(exc) or type(exc).__name__
                _record_failure(work, run)
                write_metrics(work, settings.data_dir)
                raise
            write_metrics(work, settings.data_dir)
            return result
    finally:
        conn.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _refresh_locked(
    conn: lock.psycopg.Connection,
    run: runlog.Run,
    pg_url: str,
    source: str,
    serving: Path,
    work: Path,
    full: bool,
    workers: int,
    began: float,
) -> RefreshResult:
    fingerprint = f"{spec_fingerprint()}-{models_fingerprint()}"
    pub_tmp = publish.temp_path(serving)
    work_tmp = publish.temp_path(work)
    duck = _connect_duckdb()
    try:
        state = None
        if work.exists():
            try:
                _attach(duck, work, "work")
                state = runlog.read_state(duck, "work")
                runlog.create_runs_table(duck, "memory.main.etl_runs_previous")
                if runlog.has_table(duck, "work", "etl_runs"):
                    duck.execute("INSERT INTO etl_runs_previous SELECT * FROM work.main.etl_runs")
            except duckdb.Error as exc:
                log.warning("ignoring unreadable ETL work file %s (%s); doing a full refresh", work, exc)
                state = None
        runlog.create_runs_table(duck, "memory.main.etl_runs_previous")
        incremental = not full and state is not None and state.source == source and state.fingerprint == fingerprint
        run.mode = "incremental" if incremental else "full"
        if not incremental:
            if "work" in _attached(duck):
                duck.execute("DETACH work")
            publish.discard(work_tmp)
            _attach(duck, work_tmp, "work")

        watermark = lock.safe_watermark(conn)
        jobs_order = sorted(TABLES, key=lambda s: EXTRACT_ORDER.index(s.name) if s.name in EXTRACT_ORDER else 99)
        with extract.snapshot_connections(pg_url, workers) as (snapshot, conns):
            extract.check_drift(conns[0], TABLES)
            _pause_for_tests("extract")
            if incremental:
                assert state is not None
                since = state.watermark
                jobs = [(s, f"memory.main.delta_{s.name}") for s in jobs_order]
                run.rows_extracted = extract.copy_tables_parallel(conns, duck, jobs, since)
                run.rows_extracted["deleted"] = extract.copy_tombstones(conns[0], duck, "memory.main.tombstones", since)
            else:
                jobs = [(s, f"work.main.{s.raw_table}") for s in jobs_order]
                run.rows_extracted = extract.copy_tables_parallel(conns, duck, jobs, None)
        run.rows_extracted = {s.name: run.rows_extracted.get(s.name, 0) for s in TABLES} | (
            {"deleted": run.rows_extracted["deleted"]} if incremental else {}
        )
        run.source_snapshot_at = snapshot.taken_at

        log.info(
            "extracted at %.2f s (cpu %.2f s): %s", time.perf_counter() - began, time.process_time(), run.rows_extracted
        )
        create_staging_views(duck, merged=incremental)
        _pause_for_tests("transform")
        publish.discard(pub_tmp)
        patched = (
            incremental and state is not None and state.patches < MAX_PATCHES and _served_file_is_current(duck, serving)
        )
        if patched:
            shutil.copyfile(serving, pub_tmp)  # the served file is immutable: copying it is safe
            log.info("patching a copy of the served file with this run's changes")
            _attach(duck, pub_tmp, "pub")
            run.rows_in_marts = patch_marts(duck, as_of=snapshot.taken_at, target="pub")
        else:
            _attach(duck, pub_tmp, "pub")
            run.rows_in_marts = build_marts(duck, as_of=snapshot.taken_at, target="pub")
        log.info("marts built at %.2f s (cpu %.2f s)", time.perf_counter() - began, time.process_time())
        failures = run_checks(duck, scoped=patched)
        log.info("checks done at %.2f s (cpu %.2f s)", time.perf_counter() - began, time.process_time())
        if failures:
            raise DataCheckFailed(failures)
        run.status = "success"
        run.finished_at = _now()
        run.duration_seconds = round(time.perf_counter() - began, 3)
        duck.execute("DROP TABLE IF EXISTS pub.main.etl_runs")
        runlog.create_runs_table(duck, "pub.main.etl_runs")
        duck.execute("INSERT INTO pub.main.etl_runs SELECT * FROM etl_runs_previous")
        runlog.insert_run(duck, "pub", run)
        duck.execute("CHECKPOINT pub")
        duck.execute("USE memory")
        duck.execute("DETACH pub")
        _pause_for_tests("publish")
        publish.replace_file(pub_tmp, serving)
        log.info("published at %.2f s (cpu %.2f s)", time.perf_counter() - began, time.process_time())
        _pause_for_tests("promote")

        new_state = runlog.State(
            watermark=watermark,
            source=source,
            fingerprint=fingerprint,
            patches=state.patches + 1 if patched and state is not None else 0,
        )
        if incremental:
            _apply_changes(duck, new_state, run)
        else:
            runlog.write_state(duck, "work", new_state)
            runlog.create_runs_table(duck, "work.main.etl_runs")
            duck.execute("INSERT INTO work.main.etl_runs SELECT * FROM etl_runs_previous")
            runlog.insert_run(duck, "work", run)
            duck.execute("CHECKPOINT work")
            duck.execute("DETACH work")
            publish.replace_file(work_tmp, work)
    except BaseException:
        duck.close()
        publish.discard(pub_tmp)
        publish.discard(work_tmp)
        raise
    duck.close()
    return RefreshResult(
        run_id=run.run_id,
        mode=run.mode,
        rows_extracted=run.rows_extracted,
        rows_in_marts=run.rows_in_marts,
        seconds=run.duration_seconds or 0.0,
        source_snapshot_at=snapshot.taken_at,
    )


def _served_file_is_current(duck: duckdb.DuckDBPyConnection, serving: Path) -> bool:
    """Whether the served file holds every mart and was published by the work state's run or a later one.

    Later happens when a run was killed between its publish and its promotion: patching that file with
    the changes since the (older) work watermark is still exact, since those changes include its own.
    """
    if not serving.exists():
        return False
    try:
        _attach(duck, serving, "served", read_only=True)
    except duckdb.Error:
        return False
    try:
        tables = {
            r[0]
            for r in duck.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'served'").fetchall()
        }
        if not {*MARTS, "etl_runs"} <= tables:
            return False
        served_at, work_at = duck.execute(
            "SELECT (SELECT max(started_at) FROM served.main.etl_runs WHERE status = 'success'), "
            "(SELECT max(started_at) FROM memory.main.etl_runs_previous WHERE status = 'success')"
        ).fetchall()[0]
        return served_at is not None and work_at is not None and served_at >= work_at
    finally:
        duck.execute("DETACH served")


def _attached(duck: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in duck.execute("SELECT database_name FROM duckdb_databases()").fetchall()}


def _apply_changes(duck: duckdb.DuckDBPyConnection, state: runlog.State, run: runlog.Run) -> None:
    """Merge this run's changes into the work file and move the watermark, in one DuckDB transaction."""
    duck.execute("BEGIN TRANSACTION")
    try:
        for spec in TABLES:
            raw, key = f"work.main.{spec.raw_table}", spec.primary_key
            duck.execute(
                f"DELETE FROM {raw} WHERE {key} IN (SELECT {key} FROM memory.main.delta_{spec.name} UNION ALL "
                f"SELECT record_id FROM memory.main.tombstones WHERE table_name = '{spec.name}')"
            )
            duck.execute(f"INSERT INTO {raw} SELECT * FROM memory.main.delta_{spec.name}")
        runlog.write_state(duck, "work", state)
        runlog.insert_run(duck, "work", run)
        duck.execute("COMMIT")
    except BaseException:
        duck.execute("ROLLBACK")
        raise
    duck.execute("CHECKPOINT work")


def _record_failure(work: Path, run: runlog.Run) -> None:
    """Append a failed run to the work file's run log (best effort: the failure itself is what matters)."""
    try:
        duck = _connect_duckdb()
        try:
            _attach(duck, work, "work")
            runlog.insert_run(duck, "work", run)
            duck.execute("CHECKPOINT work")
        finally:
            duck.close()
    except duckdb.Error as exc:  # pragma: no cover - e.g. disk full
        log.warning("could not record the failed run in %s: %s", work, exc)
