"""How fresh the serving warehouse is: the source snapshot time of its last successful refresh."""

from __future__ import annotations

from datetime import datetime

from core.warehouse import read_rows


def warehouse_as_of() -> datetime | None:
    """PostgreSQL's clock when the last successful ETL refresh began extracting (None before any)."""
    rows = read_rows("SELECT max(source_snapshot_at) FROM etl_runs WHERE status = 'success'")
    return rows[0][0] if rows else None
