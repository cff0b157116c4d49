"""One migration chain that matches the models, upgrades and downgrades cleanly."""

from __future__ import annotations

import uuid
import warnings

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crm.migrate import alembic_config


def test_the_migration_chain_is_linear():
    script = ScriptDirectory.from_config(alembic_config("postgresql+psycopg://unused@localhost/unused"))
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


def test_migrated_schema_matches_the_models(database_url):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # expression indexes with operator classes cannot be compared
        command.check(alembic_config(database_url))  # raises when the models and migrations differ


def test_downgrade_to_base_and_upgrade_again(database_url):
    server = make_url(database_url)
    name = f"t_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        cfg = alembic_config(url)
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "base")
        engine = create_engine(url)
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one()
        engine.dispose()
        assert tables == 1  # only alembic_version is left
        command.upgrade(cfg, "head")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
