"""One refresh: lock, extract (full or incremental), build marts, check, publish, then promote the work state.

Crash safety: the served file is only ever replaced by a complete, checked file (``os.replace``), and the
work file (replicated tables + watermark) only moves forward *after* the publish — a full refresh writes a
new work file and renames it, an incremental one commits its merge in one DuckDB transaction. A run killed
anywhere therefore leaves the served warehouse as it was, and the next run starts from the last promoted
watermark; re-extracting an already-published change is harmless (de-duplication on the key).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from sqlalchemy.engine import make_url

from core import warehouse
from core.db import database_url, libpq_url
from core.errors import ConfigError
from core.logging import current_context, log_context, new_id
from core.metrics import record_error, record_etl_run
from core.settings import get_settings
from etl import extract, lock, publish, runlog
from etl.checks import DataCheckFailed, run_checks
from etl.metrics import write_metrics
from etl.specs import TABLES, spec_fingerprint
from etl.transform import MARTS, build_marts, create_staging_views, models_fingerprint, patch_marts, touch_marts

log = logging.getLogger(__name__)

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


# DuckDB's buffer pool for a refresh: tables stream from Arrow batches into the files and the marts are SQL,
# so everything larger spills to the temp directory instead of growing the process (default: 80 % of RAM).
MEMORY_LIMIT = "640MB"


def _connect_duckdb(temp_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    duck = duckdb.connect(":memory:")
    duck.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    if temp_dir is not None:
        duck.execute(f"SET temp_directory = '{str(temp_dir).replace(chr(39), chr(39) * 2)}'")
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
            publish.remove_stale_temp_files(serving, work, *publish.data_files(serving))
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
    work_tmp = publish.temp_path(work)
    publish.adopt_plain_file(serving)
    current = publish.current_file(serving)
    standby = publish.standby_file(serving, current)
    pub_tmp = publish.temp_path(standby)
    duck = _connect_duckdb(serving.with_name(f"{serving.stem}.etl-spill"))
    with contextlib.ExitStack() as held:
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
            incremental = (
                not full
                and state is not None
                and state.source == source
                and state.fingerprint == fingerprint
                and current is not None
            )
            standby_state = None
            if incremental:
                assert current is not None
                standby_state = _open_standby(duck, held, current, standby, source, fingerprint)
                incremental = standby_state is not None
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
                    assert state is not None and standby_state is not None
                    # the standby missed the previous run's changes: read everything since the older watermark
                    since = min(state.watermark, standby_state.watermark)
                    jobs = [(s, f"memory.main.delta_{s.name}") for s in jobs_order]
                    run.rows_extracted = extract.copy_tables_parallel(conns, duck, jobs, since)
                    run.rows_extracted["deleted"] = extract.copy_tombstones(
                        conns[0], duck, "memory.main.tombstones", since
                    )
                else:
                    jobs = [(s, f"work.main.{s.raw_table}") for s in jobs_order]
                    run.rows_extracted = extract.copy_tables_parallel(conns, duck, jobs, None)
            run.rows_extracted = {s.name: run.rows_extracted.get(s.name, 0) for s in TABLES} | (
                {"deleted": run.rows_extracted["deleted"]} if incremental else {}
            )
            run.source_snapshot_at = snapshot.taken_at

            log.info(
                "extracted at %.2f s (cpu %.2f s): %s",
                time.perf_counter() - began,
                time.process_time(),
                run.rows_extracted,
            )
            create_staging_views(duck, merged=incremental)
            _pause_for_tests("transform")
            new_state = runlog.State(
                watermark=watermark,
                source=source,
                fingerprint=fingerprint,
                patches=standby_state.patches + 1 if incremental and standby_state is not None else 0,
            )
            if incremental:
                # one transaction on the standby: a run killed before COMMIT leaves it as it was
                duck.execute("BEGIN TRANSACTION")
                unchanged = not any(run.rows_extracted.values()) and not _new_day(duck, snapshot.taken_at)
                if unchanged:  # only the clock-dependent columns move; the checked rows stay as they were
                    run.rows_in_marts = touch_marts(duck, as_of=snapshot.taken_at, target="pub")
                else:
                    run.rows_in_marts = patch_marts(duck, as_of=snapshot.taken_at, target="pub")
            else:
                unchanged = False
                publish.discard(pub_tmp)
                _attach(duck, pub_tmp, "pub")
                run.rows_in_marts = build_marts(duck, as_of=snapshot.taken_at, target="pub")
            log.info("marts built at %.2f s (cpu %.2f s)", time.perf_counter() - began, time.process_time())
            failures = [] if unchanged else run_checks(duck, scoped=incremental)
            log.info("checks done at %.2f s (cpu %.2f s)", time.perf_counter() - began, time.process_time())
            if failures:
                raise DataCheckFailed(failures)
            run.status = "success"
            run.finished_at = _now()
            run.duration_seconds = round(time.perf_counter() - began, 3)
            runlog.create_runs_table(duck, "pub.main.etl_runs")
            duck.execute(
                "INSERT INTO pub.main.etl_runs SELECT * FROM etl_runs_previous "
                "WHERE run_id NOT IN (SELECT run_id FROM pub.main.etl_runs)"
            )
            runlog.insert_run(duck, "pub", run)
            runlog.write_state(duck, "pub", new_state)
            if incremental:
                _pause_for_tests("patch")
                duck.execute("COMMIT")
            duck.execute("CHECKPOINT pub")
            duck.execute("USE memory")
            duck.execute("DETACH pub")
            held.close()  # readers of this process may attach it again
            _pause_for_tests("publish")
            if not incremental:
                publish.replace_file(pub_tmp, standby)
            publish.point_to(serving, standby)
            log.info("published at %.2f s (cpu %.2f s)", time.perf_counter() - began, time.process_time())
            _pause_for_tests("promote")

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
            with contextlib.suppress(duckdb.Error):
                duck.execute("ROLLBACK")
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
        # the whole run, publish and promotion included (etl_runs.duration_seconds stops before the publish:
        # it is written into the published file)
        seconds=round(time.perf_counter() - began, 3),
        source_snapshot_at=snapshot.taken_at,
    )


# How long an incremental run waits for readers of the standby file to finish their query before it
# gives up on patching it in place and replaces it with a copy of the current file instead.
DRAIN_SECONDS = 5.0


def _open_standby(
    duck: duckdb.DuckDBPyConnection,
    held: contextlib.ExitStack,
    current: Path,
    standby: Path,
    source: str,
    fingerprint: str,
) -> runlog.State | None:
    """Attach the standby data file read-write as ``pub``, made current-compatible; return its state.

    The standby normally missed only the previous run's changes and is patched in place. When it is missing,
    holds no state, was built for other models or another database, or readers hold it longer than
    DRAIN_SECONDS (a notebook), it is replaced by a copy of the current file (cost: one file copy).
    Returns None when even the current file holds no state (a full refresh is needed).
    """
    state = None
    if standby.exists() and held.enter_context(warehouse.writing(standby, DRAIN_SECONDS)):
        deadline = time.monotonic() + DRAIN_SECONDS
        while True:
            try:
                _attach(duck, standby, "pub")
                state = runlog.read_state(duck, "pub")
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    log.warning("cannot patch %s in place (%s); copying the current file", standby.name, exc)
                    break
                time.sleep(0.02)
            except duckdb.Error as exc:
                log.warning("cannot read %s (%s); copying the current file", standby.name, exc)
                break
        if state is not None and (state.source != source or state.fingerprint != fingerprint):
            state = None
        if state is not None and not {*MARTS, "etl_runs"} <= _tables(duck, "pub"):
            state = None
    if state is not None:
        return state
    if "pub" in _attached(duck):
        duck.execute("DETACH pub")
    tmp = publish.temp_path(standby)
    shutil.copyfile(current, tmp)  # the current file is never written while it is current: copying is safe
    publish.replace_file(tmp, standby)
    log.info("seeded %s from a copy of %s", standby.name, current.name)
    held.enter_context(warehouse.writing(standby, 0))  # a fresh inode: no reader of this process holds it
    _attach(duck, standby, "pub")
    state = runlog.read_state(duck, "pub")
    if state is None or state.source != source or state.fingerprint != fingerprint:
        duck.execute("DETACH pub")
        return None
    return state


def _tables(duck: duckdb.DuckDBPyConnection, db: str) -> set[str]:
    return {
        r[0] for r in duck.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [db]).fetchall()
    }


def _new_day(duck: duckdb.DuckDBPyConnection, as_of: datetime) -> bool:
    """Whether the standby's last successful run was on an earlier UTC day (pipeline_daily gains a day)."""
    previous = duck.execute(
        "SELECT max(source_snapshot_at) FROM pub.main.etl_runs WHERE status = 'success'"
    ).fetchall()[0][0]
    return previous is None or previous.astimezone(UTC).date() != as_of.astimezone(UTC).date()


def _attached(duck: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in duck.execute("SELECT database_name FROM duckdb_databases()").fetchall()}


def _apply_changes(duck: duckdb.DuckDBPyConnection, state: runlog.State, run: runlog.Run) -> None:
    """Merge this run's changes into the work file and move the watermark, in one DuckDB transaction."""
    duck.execute("BEGIN TRANSACTION")
    try:
        for spec in TABLES:
            if not run.rows_extracted.get(spec.name) and not run.rows_extracted.get("deleted"):
                continue  # untouched tables stay untouched (their blocks are not rewritten)
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
