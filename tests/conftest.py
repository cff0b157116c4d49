"""Test fixtures: a throwaway PostgreSQL database per test session, real DuckDB files.

The server is ``TEST_DATABASE_URL`` when set (CI points it at the local PostgreSQL 15), otherwise
the embedded PostgreSQL under ``.data/test-postgres``. Each session creates ``t_<uuid>``, migrates
it, points ``DATABASE_URL`` at it and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core import db as core_db
from core.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
TRUNCATE_ORDER = (
    "audit_log",
    "opportunity_stage_history",
    "quotas",
    "opportunities",
    "leads",
    "accounts",
    "users",
    "teams",
    "territories",
    "deleted_records",
)


def _server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return core_db.normalize_url(url)
    from core.embedded import embedded_database_url

    return embedded_database_url(ROOT / ".data" / "test-postgres")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a freshly migrated throwaway database, also exported as DATABASE_URL."""
    server = make_url(_server_url())
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    previous = {k: os.environ.get(k) for k in ("DATABASE_URL", "WAREHOUSE_PATH", "MODEL_DIR", "DATA_DIR")}
    data_dir = tmp_path_factory.mktemp("data")
    os.environ.update(
        DATABASE_URL=url,
        WAREHOUSE_PATH=str(data_dir / "warehouse.duckdb"),
        MODEL_DIR=str(data_dir / "models"),
        DATA_DIR=str(data_dir),
    )
    get_settings.cache_clear()
    from crm.migrate import migrate

    migrate(url)
    try:
        yield url
    finally:
        core_db.dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Engine:
    """The process-wide engine on the throwaway database."""
    return core_db.get_engine(database_url)


@pytest.fixture
def clean_db(engine: Engine) -> Iterator[Engine]:
    """The throwaway database, emptied after the test."""
    yield engine
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(TRUNCATE_ORDER) + " CASCADE"))


@pytest.fixture
def session(clean_db: Engine) -> Iterator[Session]:
    """A session whose work is committed when the test body returns (like a request would)."""
    factory = core_db.session_factory(clean_db)
    with factory() as s:
        yield s
        s.rollback()


@pytest.fixture
def warehouse_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A serving-warehouse path of the test's own, exported as WAREHOUSE_PATH."""
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("WAREHOUSE_PATH", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()
