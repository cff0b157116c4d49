"""Read-only access to the serving warehouse (DuckDB).

DuckDB allows one writer process or many readers per file, never both, so the ETL publishes a
complete new file with ``os.replace`` and readers never hold it open: this process keeps one
in-memory DuckDB connection and, per query, on a per-thread cursor, ATTACHes the current serving
file READ_ONLY under a unique alias, runs the query and DETACHes. A reader therefore always sees a
complete warehouse (the old one or the new one) and never blocks the ETL.

Queries name tables unqualified (``SELECT * FROM opportunities``); they resolve inside the
attached file because the cursor ``USE``s it.
"""

from __future__ import annotations

import itertools
import threading
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


@contextmanager
def warehouse_cursor(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on which the current serving file is attached read-only and selected."""
    file = warehouse_file(path)
    if not file.exists():
        raise WarehouseMissing(file)
    cursor = _root_connection().cursor()
    alias = f"wh_{next(_aliases)}"
    escaped = str(file).replace("'", "''")
    try:
        cursor.execute(f"ATTACH '{escaped}' AS {alias} (READ_ONLY)")
        cursor.execute(f"USE {alias}")
        yield cursor
    finally:
        try:
            cursor.execute("USE memory")
            cursor.execute(f"DETACH DATABASE IF EXISTS {alias}")
        finally:
            cursor.close()


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
