"""One generic extractor: PostgreSQL → Arrow (ADBC, binary COPY) → DuckDB, in one consistent snapshot."""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import adbc_driver_manager
import adbc_driver_postgresql
import duckdb
import pyarrow

from core.errors import ConfigError
from etl.specs import TOMBSTONES, Column, TableSpec


class SchemaDrift(RuntimeError):
    """A replicated column was dropped or changed type in PostgreSQL."""


@dataclass(frozen=True)
class Snapshot:
    """A PostgreSQL snapshot shared by every extraction connection of one run."""

    snapshot_id: str
    taken_at: datetime


class PgConnection:
    """A bare ADBC PostgreSQL connection in a transaction (the DB-API layer would import pandas: +1 s a run)."""

    def __init__(self, url: str) -> None:
        try:
            self._database = adbc_driver_postgresql.connect(url)
            self._connection = adbc_driver_manager.AdbcConnection(self._database)
            self._connection.set_autocommit(False)
        except adbc_driver_manager.Error as exc:
            reason = str(exc).strip().splitlines()[0]
            raise ConfigError(f"Cannot reach PostgreSQL for the ETL ({reason}): check DATABASE_URL.") from None

    def execute(self, sql: str) -> None:
        """Run a statement that returns no rows."""
        statement = adbc_driver_manager.AdbcStatement(self._connection)
        try:
            statement.set_sql_query(sql)
            statement.execute_update()
        finally:
            statement.close()

    @contextmanager
    def stream(self, sql: str) -> Iterator[pyarrow.RecordBatchReader]:
        """The result of ``sql`` as Arrow record batches, read as they arrive (binary COPY underneath)."""
        statement = adbc_driver_manager.AdbcStatement(self._connection)
        try:
            statement.set_sql_query(sql)
            handle, _ = statement.execute_query()
            yield pyarrow.RecordBatchReader._import_from_c(handle.address)
        finally:
            statement.close()

    def fetchall(self, sql: str) -> list[tuple]:
        """All rows of a small result."""
        with self.stream(sql) as reader:
            table = reader.read_all()
        return list(zip(*(col.to_pylist() for col in table.columns), strict=True))

    def close(self) -> None:
        """Roll back the read-only transaction and disconnect."""
        try:
            self._connection.rollback()
        finally:
            self._connection.close()
            self._database.close()


def connect(url: str) -> PgConnection:
    """An ADBC connection in a transaction, or ConfigError naming the problem."""
    return PgConnection(url)


def begin_snapshot(conn: PgConnection) -> Snapshot:
    """Start a read-only REPEATABLE READ transaction and export its snapshot for other connections."""
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    # the time as text: converting an Arrow timestamp to Python imports pandas (0.4 s of every run)
    ((snapshot_id, taken_at),) = conn.fetchall(
        "SELECT pg_export_snapshot(), to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
    )
    return Snapshot(snapshot_id=snapshot_id, taken_at=datetime.fromisoformat(taken_at).replace(tzinfo=UTC))


def join_snapshot(conn: PgConnection, snapshot: Snapshot) -> None:
    """Make ``conn``'s transaction see exactly ``snapshot``."""
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot.snapshot_id}'")


def check_drift(conn: PgConnection, specs: Sequence[TableSpec]) -> None:
    """Raise SchemaDrift naming the first declared column that is missing or retyped; new columns are fine."""
    names = ", ".join(f"'{s.name}'" for s in specs)
    rows = conn.fetchall(
        "SELECT table_name::text, column_name::text, udt_name::text FROM information_schema.columns "
        f"WHERE table_schema = current_schema() AND table_name IN ({names})"
    )
    found = {(t, c): u for t, c, u in rows}
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


def _select_column(column: Column) -> str:
    # ADBC decodes numeric into text, several times slower than the column's value as a scaled bigint
    if column.scale is not None:
        return f'CAST("{column.name}" * 1e{column.scale} AS bigint) AS "{column.name}"'
    return f'"{column.name}"'


def select_sql(spec: TableSpec, since: datetime | None) -> str:
    """The extraction query: declared columns, closed lower bound on the cursor when incremental."""
    cols = ", ".join(_select_column(c) for c in spec.columns)
    sql = f'SELECT {cols} FROM "{spec.name}"'
    if since is not None:
        sql += f" WHERE \"{spec.cursor}\" >= '{since.isoformat()}'::timestamptz"
    return sql


def _cast_column(column: Column) -> str:
    if column.scale is not None:  # exact: an integer times 10^-scale, both DECIMAL
        unit = f"CAST(1e-{column.scale} AS DECIMAL(18, {column.scale}))" if column.scale else "1"
        return f'CAST(CAST("{column.name}" AS DECIMAL(38, 0)) * {unit} AS {column.duck_type}) AS "{column.name}"'
    return f'CAST("{column.name}" AS {column.duck_type}) AS "{column.name}"'


def cast_sql(spec: TableSpec, source: str) -> str:
    """DuckDB SELECT that casts the Arrow columns to the warehouse types (numeric arrives as a scaled bigint)."""
    cols = ", ".join(_cast_column(c) for c in spec.columns)
    return f"SELECT {cols} FROM {source}"


def copy_table(
    pg: PgConnection, duck: duckdb.DuckDBPyConnection, spec: TableSpec, target: str, since: datetime | None
) -> int:
    """Stream one table (or its changes since ``since``) into DuckDB table ``target``; return the row count."""
    with pg.stream(select_sql(spec, since)) as reader:
        view = f"arrow_{spec.name}"
        duck.register(view, reader)
        try:
            duck.execute(f"CREATE OR REPLACE TABLE {target} AS {cast_sql(spec, view)}")
        finally:
            duck.unregister(view)
    return duck.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]


def copy_tombstones(pg: PgConnection, duck: duckdb.DuckDBPyConnection, target: str, since: datetime) -> int:
    """Copy the tombstones (table_name, record_id) written since ``since``."""
    sql = f"SELECT table_name, record_id FROM {TOMBSTONES} WHERE updated_at >= '{since.isoformat()}'::timestamptz"
    with pg.stream(sql) as reader:
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


@contextmanager
def snapshot_connections(url: str, workers: int) -> Iterator[tuple[Snapshot, list[PgConnection]]]:
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
            conn.close()


def copy_tables_parallel(
    conns: list[PgConnection],
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

    def work(pg: PgConnection) -> None:
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

    threads = [  # each worker runs in a copy of the caller's context, so its log lines keep the run_id
        threading.Thread(target=contextvars.copy_context().run, args=(work, pg), name=f"etl-extract-{i}")
        for i, pg in enumerate(conns)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return counts
