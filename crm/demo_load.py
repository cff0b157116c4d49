"""Bulk loading for the demo seed: COPY polars frames in one transaction, indexes rebuilt after.

Following PostgreSQL's "Populating a Database" advice, the secondary indexes, key constraints and
foreign keys of the bulk tables are dropped inside the loading transaction and re-created from
their catalog definitions once the rows are in (sorted index builds and one validating join per
foreign key are much cheaper than row-by-row maintenance). The row triggers stay on, so
``updated_at``/``version`` are set by the database as for any other writer. If anything fails,
the transaction rolls back and the schema is exactly as before.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import polars as pl
import psycopg

COPY_CHUNK = 4 << 20


@dataclass
class DeferredSchema:
    """Definitions dropped before the load, to re-create after it (keys, then indexes, then FKs)."""

    keys: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, definition)
    indexes: list[str] = field(default_factory=list)  # CREATE INDEX statements
    foreign_keys: list[tuple[str, str, str]] = field(default_factory=list)


def drop_deferred_schema(
    conn: psycopg.Connection, *, index_tables: tuple[str, ...], fk_tables: tuple[str, ...]
) -> DeferredSchema:
    """Drop indexes and keys of ``index_tables`` and foreign keys from ``fk_tables`` (or into index_tables)."""
    saved = DeferredSchema()
    cur = conn.cursor()
    saved.foreign_keys = cur.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.contype = 'f'
          AND (c.conrelid = ANY(%(fk)s::regclass[]) OR c.confrelid = ANY(%(ix)s::regclass[]))
        ORDER BY 1, 2
        """,
        {"fk": list(fk_tables), "ix": list(index_tables)},
    ).fetchall()
    saved.keys = cur.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.contype IN ('p', 'u') AND c.conrelid = ANY(%(ix)s::regclass[])
        ORDER BY c.contype, 1, 2
        """,
        {"ix": list(index_tables)},
    ).fetchall()
    index_rows = cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%(ix)s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
        """,
        {"ix": list(index_tables)},
    ).fetchall()
    saved.indexes = [definition for _, definition in index_rows]
    for table, name, _ in saved.foreign_keys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for table, name, _ in saved.keys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in index_rows:
        cur.execute(f"DROP INDEX {name}")
    return saved


def restore_deferred_schema(conn: psycopg.Connection, saved: DeferredSchema, progress: Callable[[str], None]) -> None:
    """Re-create what :func:`drop_deferred_schema` dropped; raises if the loaded rows break a constraint."""
    cur = conn.cursor()
    for table, name, definition in saved.keys:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    progress(f"rebuilt {len(saved.keys)} primary and unique keys")
    for definition in saved.indexes:
        cur.execute(definition)
    progress(f"rebuilt {len(saved.indexes)} indexes")
    for table, name, definition in saved.foreign_keys:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    progress(f"validated {len(saved.foreign_keys)} foreign keys")


def csv_payload(frame: pl.DataFrame) -> memoryview:
    """The frame as headerless CSV bytes (nulls as empty fields, floats to 2 decimals)."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, float_precision=2)
    return buffer.getbuffer()


def copy_frames(
    conn: psycopg.Connection,
    frames: Iterable[tuple[str, pl.DataFrame]],
    progress: Callable[[str], None],
) -> dict[str, int]:
    """COPY each (table, frame) in order; a worker thread loads while the next frame is generated."""
    work: queue.Queue[tuple[str, list[str], memoryview, int] | None] = queue.Queue(maxsize=2)
    counts: dict[str, int] = {}
    failures: list[BaseException] = []

    def load() -> None:
        while (item := work.get()) is not None:
            if failures:
                continue  # drain so the producer never blocks
            table, columns, payload, rows = item
            try:
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
                with conn.cursor() as cur, cur.copy(statement) as copy:
                    for start in range(0, len(payload), COPY_CHUNK):
                        copy.write(payload[start : start + COPY_CHUNK])
                counts[table] = rows
                progress(f"copied {rows:,} {table}")
            except BaseException as exc:
                failures.append(exc)

    worker = threading.Thread(target=load, name="seed-demo-copy", daemon=True)
    worker.start()
    try:
        for table, frame in frames:
            if failures:
                break
            progress(f"generated {frame.height:,} {table}")
            work.put((table, frame.columns, csv_payload(frame), frame.height))
    finally:
        work.put(None)
        worker.join()
    if failures:
        raise failures[0]
    return counts
