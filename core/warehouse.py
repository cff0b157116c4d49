"""Read-only access to the serving warehouse (DuckDB).

DuckDB allows one writer process or many readers per file, never both. The ETL keeps two data files
and ``WAREHOUSE_PATH`` is a symlink to the current one; it patches the other one (the standby) and then
flips the symlink. Readers never hold a file open: this process keeps one in-memory DuckDB connection
and, per query, on a per-thread cursor, resolves the symlink, ATTACHes that data file READ_ONLY under a
unique alias, runs the query and DETACHes. A reader that resolved the symlink just before a flip and
finds the file locked by the ETL resolves again (the symlink then names the new current file). A reader
therefore always sees a complete warehouse (the old one or the new one) and never blocks the ETL: the
ETL only writes a file no reader has attached (DuckDB's file lock across processes; ``writing`` below
inside this process).

Queries name tables unqualified (``SELECT * FROM opportunities``); they resolve inside the
attached file because the cursor ``USE``s it.
"""

from __future__ import annotations

import collections
import itertools
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from core.settings import get_settings

_lock = threading.Lock()
_root: duckdb.DuckDBPyConnection | None = None
_aliases = itertools.count()
# Which data files this process's readers have attached, and which the ETL in this process is writing.
_files = threading.Condition()
_readers: collections.Counter[str] = collections.Counter()
_writing: set[str] = set()
LOCK_RETRIES = 200  # a locked file means the ETL flipped the symlink a moment ago: resolve again


class WarehouseMissing(RuntimeError):
    """No serving warehouse has been published yet."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"No warehouse at {path} yet: run `python -m etl refresh` to build it.")
        self.path = path


def _root_connection() -> duckdb.DuckDBPyConnection:
    global _root
    with _lock:
        if _root is None:
            _root = duckdb.connect(":memory:")
            _root.execute("SET TimeZone = 'UTC'")  # config={"TimeZone": ...} fails: ICU is not loaded yet
        return _root


def warehouse_file(path: Path | None = None) -> Path:
    """The serving file this process reads (WAREHOUSE_PATH unless given)."""
    return Path(path) if path is not None else get_settings().warehouse_path


def _enter_reader(file: Path) -> str:
    """Resolve the serving path to its data file and count this reader on it (never on a file being written)."""
    while True:
        with _files:
            real = os.path.realpath(file)
            if real not in _writing:
                _readers[real] += 1
                return real
            _files.wait(0.01)  # the symlink is about to name another file (or already does)


def _leave_reader(real: str) -> None:
    with _files:
        _readers[real] -= 1
        if _readers[real] <= 0:
            del _readers[real]
        _files.notify_all()


@contextmanager
def writing(real: Path, timeout: float) -> Iterator[bool]:
    """For the ETL: mark data file ``real`` as being written once no reader of this process has it attached.

    Yields False (and marks nothing) when readers still hold it after ``timeout`` seconds.
    """
    key = os.path.realpath(real)
    deadline = time.monotonic() + timeout
    with _files:
        while _readers[key] > 0 and time.monotonic() < deadline:
            _files.wait(0.01)
        free = _readers[key] <= 0
        if free:
            _writing.add(key)
    try:
        yield free
    finally:
        if free:
            with _files:
                _writing.discard(key)
                _files.notify_all()


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    return "lock" in str(exc).lower()


@contextmanager
def warehouse_cursor(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on which the current serving file is attached read-only and selected."""
    file = warehouse_file(path)
    if not file.exists():
        raise WarehouseMissing(file)
    cursor = _root_connection().cursor()
    alias = f"wh_{next(_aliases)}"
    real = ""
    try:
        for attempt in range(LOCK_RETRIES):
            real = _enter_reader(file)
            escaped = real.replace("'", "''")
            try:
                cursor.execute(f"ATTACH '{escaped}' AS {alias} (READ_ONLY)")
                break
            except duckdb.IOException as exc:
                _leave_reader(real)
                real = ""
                if not _is_lock_conflict(exc) or attempt == LOCK_RETRIES - 1:
                    raise
                time.sleep(0.005)
        cursor.execute(f"USE {alias}")
        yield cursor
    finally:
        try:
            cursor.execute("USE memory")
            cursor.execute(f"DETACH DATABASE IF EXISTS {alias}")
        finally:
            cursor.close()
            if real:
                _leave_reader(real)


def read_frame(
    sql: str, params: Sequence[Any] | dict[str, Any] | None = None, *, path: Path | None = None
) -> pl.DataFrame:
    """Run one read-only query on the serving warehouse and return a polars frame."""
    with warehouse_cursor(path) as cur:
        return cur.sql(sql, params=params).pl() if params else cur.sql(sql).pl()


def read_rows(sql: str, params: Sequence[Any] | None = None, *, path: Path | None = None) -> list[tuple[Any, ...]]:
    """Run one read-only query and return all rows as tuples."""
    with warehouse_cursor(path) as cur:
        return cur.execute(sql, params or []).fetchall()


def data_as_of(path: Path | None = None) -> datetime | None:
    """The "data as of" time: PostgreSQL's clock when the last successful refresh began extracting.

    The one definition used by pages, the API, ``etl status`` and the metrics; raises
    WarehouseMissing when nothing is published yet.
    """
    rows = read_rows("SELECT max(source_snapshot_at) FROM etl_runs WHERE status = 'success'", path=path)
    return rows[0][0] if rows else None
