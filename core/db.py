"""Database engine and sessions: one engine per process, URLs normalised to psycopg 3."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.embedded import embedded_database_url
from core.errors import ConfigError
from core.settings import get_settings

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_factories: dict[Engine, sessionmaker[Session]] = {}


def normalize_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver (accepts postgresql:// and postgres://)."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url() -> str:
    """The SQLAlchemy URL of the system of record (DATABASE_URL, else the embedded server)."""
    settings = get_settings()
    if settings.database_url:
        return normalize_url(settings.database_url)
    return embedded_database_url(settings.embedded_pgdata)


def libpq_url(url: str | None = None) -> str:
    """The same database as a plain libpq URI (for psycopg, ADBC and psql)."""
    sa_url = make_url(url or database_url())
    return sa_url.set(drivername="postgresql").render_as_string(hide_password=False)


def get_engine(url: str | None = None) -> Engine:
    """Return the process-wide engine for ``url`` (default: the configured database)."""
    url = url or database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
            _engines[url] = engine
    return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests and process shutdown)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _factories.clear()


def check_connection(engine: Engine | None = None) -> None:
    """Raise ConfigError with one clear sentence when the database cannot be reached."""
    engine = engine or get_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        where = make_url(str(engine.url)).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(
            f"Cannot reach PostgreSQL at {where} ({reason}): check DATABASE_URL and that the server is running."
        ) from None


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """A sessionmaker bound to ``engine``; callers own the transaction (``with f.begin() as s``).

    One per engine, made once: building a sessionmaker creates a Session subclass, which cost the
    API a class construction on every request.
    """
    engine = engine or get_engine()
    factory = _factories.get(engine)
    if factory is None:
        factory = _factories.setdefault(engine, sessionmaker(bind=engine, expire_on_commit=False))
    return factory


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any error."""
    with session_factory(engine).begin() as session:
        yield session
