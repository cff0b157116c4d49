"""One generic extractor: PostgreSQL → Arrow (ADBC, binary COPY) → DuckDB, in one consistent snapshot."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import adbc_driver_postgresql.dbapi as adbc
import duckdb

from core.errors import ConfigError
from etl.specs import TOMBSTONES, TableSpec


class SchemaDrift(RuntimeError):
    """A replicated column was dropped or changed type in PostgreSQL."""


@dataclass(frozen=True)
class Snapshot:
    """A PostgreSQL snapshot shared by every extraction connection of one run."""

    snapshot_id: str
    taken_at: datetime


def connect(url: str) -> adbc.Connection:
    """An ADBC connection (not autocommit) or ConfigError naming the problem."""
    try:
        return adbc.connect(url)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0]
        raise ConfigError(f"Cannot reach PostgreSQL for the ETL ({reason}): check DATABASE_URL.") from None


def begin_snapshot(conn: adbc.Connection) -> Snapshot:
    """Start a read-only REPEATABLE READ transaction and export its snapshot for other connections."""
    cur = conn.cursor()
    try:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur.execute("SELECT pg_export_snapshot(), now()")
        snapshot_id, taken_at = cur.fetchone()
    finally:
        cur.close()
    return Snapshot(snapshot_id=snapshot_id, taken_at=taken_at)


def join_snapshot(conn: adbc.Connection, snapshot: Snapshot) -> None:
    """Make ``conn``'s transaction see exactly ``snapshot``."""
    cur = conn.cursor()
    try:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur.execute(f"SET TRANSACTION SNAPSHOT '{snapshot.snapshot_id}'")
    finally:
        cur.close()


def check_drift(conn: adbc.Connection, specs: Sequence[TableSpec]) -> None:
    """Raise SchemaDrift naming the first declared column that is missing or retyped; new columns are fine."""
    cur = conn.cursor()
    try:
        names = ", ".join(f"'{s.name}'" for s in specs)
        cur.execute(
            "SELECT table_name, column_name, udt_name FROM information_schema.columns "
            f"WHERE table_schema = current_schema() AND table_name IN ({names})"
        )
        found = {(t, c): u for t, c, u in cur.fetchall()}
    finally:
        cur.close()
    for spec in specs:
        if not any(t == spec.name for t, _ in found):
            raise SchemaDrift(f"table {spec.name} is missing in PostgreSQL: run `python -m crm migrate`")
        for col in spec.columns:
            actual = found.get((spec.name, col.name))
            if actual is None:
                raise SchemaDrift(f"column {spec.name}.{col.name} was dropped in PostgreSQL (the ETL reads it)")
            if actual != col.pg_type:
                raise SchemaDrift(
                    f"column {spec.name}.{col.name} changed type in PostgreSQL: expected {col.pg_type}, found {actual}"
                )


def select_sql(spec: TableSpec, since: datetime | None) -> str:
    """The extraction query: declared columns, closed lower bound on the cursor when incremental."""
    cols = ", ".join(f'"{c.name}"' for c in spec.columns)
    sql = f'SELECT {cols} FROM "{spec.name}"'
    if since is not None:
        sql += f" WHERE \"{spec.cursor}\" >= '{since.isoformat()}'::timestamptz"
    return sql


def cast_sql(spec: TableSpec, source: str) -> str:
    """DuckDB SELECT that casts the Arrow columns to the warehouse types (numeric arrives as text)."""
    cols = ", ".join(f'CAST("{c.name}" AS {c.duck_type}) AS "{c.name}"' for c in spec.columns)
    return f"SELECT {cols} FROM {source}"


def copy_table(
    pg: adbc.Connection, duck: duckdb.DuckDBPyConnection, spec: TableSpec, target: str, since: datetime | None
) -> int:
    """Stream one table (or its changes since ``since``) into DuckDB table ``target``; return the row count."""
    cur = pg.cursor()
    try:
        cur.execute(select_sql(spec, since))
        reader = cur.fetch_record_batch()
        view = f"arrow_{spec.name}"
        duck.register(view, reader)
        try:
            duck.execute(f"CREATE OR REPLACE TABLE {target} AS {cast_sql(spec, view)}")
        finally:
            duck.unregister(view)
        return duck.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
    finally:
        cur.close()


def copy_tombstones(pg: adbc.Connection, duck: duckdb.DuckDBPyConnection, target: str, since: datetime) -> int:
    """Copy the tombstones (table_name, record_id) written since ``since``."""
    cur = pg.cursor()
    try:
        cur.execute(
            f"SELECT table_name, record_id FROM {TOMBSTONES} WHERE updated_at >= '{since.isoformat()}'::timestamptz"
        )
        reader = cur.fetch_record_batch()
        duck.register("arrow_tombstones", reader)
        try:
            duck.execute(
                f"CREATE OR REPLACE TABLE {target} AS "
                "SELECT CAST(table_name AS VARCHAR) AS table_name, CAST(record_id AS UUID) AS record_id "
                "FROM arrow_tombstones"
            )
        finally:
            duck.unregister("arrow_tombstones")
        return duck.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
    finally:
        cur.close()


@contextmanager
def snapshot_connections(url: str, workers: int) -> Iterator[tuple[Snapshot, list[adbc.Connection]]]:
    """``workers`` ADBC connections that all read one exported snapshot; closed at exit."""
    conns = [connect(url)]
    try:
        snapshot = begin_snapshot(conns[0])
        for _ in range(workers - 1):
            conn = connect(url)
            conns.append(conn)
            join_snapshot(conn, snapshot)
        yield snapshot, conns
    finally:
        for conn in conns:
            try:
                conn.rollback()
            finally:
                conn.close()


def copy_tables_parallel(
    conns: list[adbc.Connection],
    duck: duckdb.DuckDBPyConnection,
    jobs: Sequence[tuple[TableSpec, str]],
    since: datetime | None,
    on_done: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy ``jobs`` (spec, target) with one worker per connection; the biggest tables should come first."""
    todo: queue.Queue[tuple[TableSpec, str]] = queue.Queue()
    for job in jobs:
        todo.put(job)
    counts: dict[str, int] = {}
    errors: list[BaseException] = []

    def work(pg: adbc.Connection) -> None:
        cursor = duck.cursor()
        try:
            while not errors:
                try:
                    spec, target = todo.get_nowait()
                except queue.Empty:
                    return
                counts[spec.name] = copy_table(pg, cursor, spec, target, since)
                if on_done:
                    on_done(spec.name, counts[spec.name])
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)
        finally:
            cursor.close()

    threads = [threading.Thread(target=work, args=(pg,), name=f"etl-extract-{i}") for i, pg in enumerate(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return counts
