"""Single flight: a PostgreSQL advisory lock held on a dedicated connection for the whole refresh."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg

from core.errors import ConfigError

LOCK_KEY = 7_424_851_011  # "ETL refresh"; any constant shared by every refresh of this database
APPLICATION_NAME = "etl-refresh"


class RefreshRunning(RuntimeError):
    """Another refresh holds the advisory lock."""

    def __init__(self, started_at: datetime | None) -> None:
        when = started_at.isoformat(timespec="seconds") if started_at else "an unknown time"
        super().__init__(f"another refresh is running (started at {when})")
        self.started_at = started_at


def connect(url: str) -> psycopg.Connection:
    """An autocommit psycopg connection, or ConfigError with one clear sentence."""
    try:
        return psycopg.connect(url, autocommit=True, application_name=APPLICATION_NAME, connect_timeout=10)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"Cannot reach PostgreSQL ({reason}): check DATABASE_URL and that the server is running."
        ) from None


@contextmanager
def refresh_lock(conn: psycopg.Connection) -> Iterator[None]:
    """Hold the ETL advisory lock on ``conn`` or raise RefreshRunning naming when the holder started."""
    got = _scalar(conn, "SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
    if not got:
        row = conn.execute(
            "SELECT a.backend_start FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid = (%s >> 32)::oid AND l.objid = (%s & 4294967295)::oid",
            [LOCK_KEY, LOCK_KEY],
        ).fetchone()
        raise RefreshRunning(row[0] if row else None)
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def safe_watermark(conn: psycopg.Connection) -> datetime:
    """The earliest ``updated_at`` a not-yet-visible change can carry: min(now, oldest open transaction start).

    ``updated_at`` is set to the writer's transaction start time, so a transaction that commits after our
    snapshot started no earlier than the oldest transaction open right now (or than now). Taken *before*
    the extraction snapshot, so nothing in flight at snapshot time is missed by the next run.
    """
    return _scalar(
        conn,
        "SELECT least(clock_timestamp(), (SELECT min(xact_start) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL "
        "AND backend_type = 'client backend'))",
    )


def _scalar(conn: psycopg.Connection, sql: str, params: list[Any] | None = None) -> Any:
    row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]
