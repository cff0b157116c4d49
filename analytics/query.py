"""Where a metric reads from: a given DuckDB connection, a warehouse file, or the serving warehouse."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from core.warehouse import warehouse_cursor

Source = duckdb.DuckDBPyConnection | Path | str | None


def run(sql: str, params: Sequence[Any] | None = None, *, con: Source = None) -> pl.DataFrame:
    """Run one read-only query and return a polars frame.

    ``con`` may be an open DuckDB connection or cursor (used as is), a path to a warehouse file
    (attached read-only), or None for the serving warehouse (``WAREHOUSE_PATH``).
    """
    if isinstance(con, duckdb.DuckDBPyConnection):
        cursor = con.cursor()
        try:
            return cursor.sql(sql, params=list(params)).pl() if params else cursor.sql(sql).pl()
        finally:
            cursor.close()
    path = Path(con) if con is not None else None
    with warehouse_cursor(path) as cursor:
        return cursor.sql(sql, params=list(params)).pl() if params else cursor.sql(sql).pl()
