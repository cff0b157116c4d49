"""COPY rows into PostgreSQL quickly through the session's own connection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from sqlalchemy.orm import Session


def raw_connection(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session's current transaction."""
    return session.connection().connection.driver_connection  # type: ignore[return-value]


def copy_rows(
    conn: psycopg.Connection[Any],
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    types: Sequence[str] | None = None,
) -> int:
    """COPY ``rows`` into ``table`` (binary when ``types`` are given); identifiers are constants, never input."""
    count = 0
    binary = " (FORMAT BINARY)" if types is not None else ""
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN{binary}") as copy:
        if types is not None:
            copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)
            count += 1
    return count
