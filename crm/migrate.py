"""Create or upgrade the schema (alembic upgrade head)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from core.db import check_connection, database_url, get_engine

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None) -> Config:
    """An alembic config pointing at this repository's migrations and ``url``."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Upgrade the database at ``url`` (default: the configured one) to the newest schema."""
    url = url or database_url()
    check_connection(get_engine(url))
    command.upgrade(alembic_config(url), "head")
