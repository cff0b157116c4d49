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
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import polars as pl
import psycopg

COPY_CHUNK = 4 << 20


@dataclass
class DeferredSchema:
    """Definitions dropped before the load, to re-create after it (keys, then indexes, then FKs)."""

    keys: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, definition)
    indexes: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, CREATE INDEX)
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
        SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%(ix)s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
        """,
        {"ix": list(index_tables)},
    ).fetchall()
    saved.indexes = [(table, name, definition) for table, name, definition in index_rows]
    for table, name, _ in saved.foreign_keys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for table, name, _ in saved.keys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for _, name, _ in index_rows:
        cur.execute(f"DROP INDEX {name}")
    # The tables are empty (checked under lock): truncating them lets COPY write frozen rows, so
    # nobody has to rewrite every page later to set hint bits.
    cur.execute("TRUNCATE " + ", ".join(index_tables))
    return saved


def _timed(cur: psycopg.Cursor, seconds: dict[str, float], label: str, statement: str) -> None:
    started = time.perf_counter()
    cur.execute(statement)
    seconds[label] = time.perf_counter() - started


def restore_indexes(conn: psycopg.Connection, saved: DeferredSchema, *, table: str) -> dict[str, float]:
    """Re-create the keys and indexes of ``table`` dropped earlier; seconds per statement."""
    cur = conn.cursor()
    seconds: dict[str, float] = {}
    for owner, name, definition in saved.keys:
        if owner == table:
            _timed(cur, seconds, name, f'ALTER TABLE {owner} ADD CONSTRAINT "{name}" {definition}')
    for owner, name, definition in saved.indexes:
        if owner == table:
            _timed(cur, seconds, name, definition)
    return seconds


def restore_foreign_keys(conn: psycopg.Connection, saved: DeferredSchema) -> dict[str, float]:
    """Re-create (and so validate) the foreign keys dropped earlier; raises if a loaded row breaks one."""
    cur = conn.cursor()
    seconds: dict[str, float] = {}
    for table, name, definition in saved.foreign_keys:
        _timed(cur, seconds, name, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    return seconds


def disable_touch_triggers(conn: psycopg.Connection, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """Disable the ``updated_at`` triggers of ``tables`` whose column default gives the same value.

    The triggers set ``updated_at := now()`` on insert; ``now()`` is also the column default, and
    both are the transaction's start time, so rows loaded without the column get exactly what the
    trigger would have written, without running PL/pgSQL once per row. ``version`` keeps its
    default 1 either way. Returns (table, trigger) pairs for :func:`enable_triggers`.
    """
    rows = conn.execute(
        """
        SELECT t.tgrelid::regclass::text, t.tgname
        FROM pg_trigger t
        JOIN pg_proc p ON p.oid = t.tgfoid
        JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attname = 'updated_at'
        JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE t.tgrelid = ANY(%(tables)s::regclass[]) AND NOT t.tgisinternal AND t.tgenabled <> 'D'
          AND p.proname IN ('touch_updated_at', 'touch_updated_at_and_version')
          AND pg_get_expr(d.adbin, d.adrelid) = 'now()'
        ORDER BY 1, 2
        """,
        {"tables": list(tables)},
    ).fetchall()
    for table, trigger in rows:
        conn.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{trigger}"')
    return [(table, trigger) for table, trigger in rows]


def enable_triggers(conn: psycopg.Connection, triggers: list[tuple[str, str]]) -> None:
    """Re-enable triggers disabled by :func:`disable_touch_triggers`."""
    for table, trigger in triggers:
        conn.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{trigger}"')


def csv_payload(frame: pl.DataFrame) -> memoryview:
    """The frame as headerless CSV bytes (nulls as empty fields, floats to 2 decimals)."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, float_precision=2)
    return buffer.getbuffer()


def copy_frames(
    conn: psycopg.Connection,
    frames: Iterable[tuple[str, pl.DataFrame]],
    progress: Callable[[str], None],
    *,
    freeze: tuple[str, ...] = (),
    after_copy: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """COPY each (table, frame) in order (``freeze``: tables truncated in this transaction).

    A worker thread loads while the next frame is generated, and runs ``after_copy(table)`` (say,
    building that table's indexes) while the generator keeps working on the next tables.
    """
    work: queue.Queue[tuple[str, list[str], memoryview, int] | None] = queue.Queue(maxsize=2)
    counts: dict[str, int] = {}
    failures: list[BaseException] = []

    def load() -> None:
        while (item := work.get()) is not None:
            if failures:
                continue  # drain so the producer never blocks
            table, columns, payload, rows = item
            try:
                options = "FORMAT csv, FREEZE" if table in freeze else "FORMAT csv"
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN ({options})"
                with conn.cursor() as cur, cur.copy(statement) as copy:
                    for start in range(0, len(payload), COPY_CHUNK):
                        copy.write(payload[start : start + COPY_CHUNK])
                counts[table] = rows
                progress(f"copied {rows:,} {table}")
                if after_copy is not None:
                    after_copy(table)
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
