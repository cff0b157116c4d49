"""Small hand-made data written straight to PostgreSQL (no crm services), and helpers to read the warehouse."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Engine, text

TERRITORY = uuid.UUID("00000000-0000-0000-0000-00000000e001")
TEAM = uuid.UUID("00000000-0000-0000-0000-00000000a001")
MANAGER = uuid.UUID("00000000-0000-0000-0000-00000000b001")
REP = uuid.UUID("00000000-0000-0000-0000-00000000b002")
ACCOUNT = uuid.UUID("00000000-0000-0000-0000-00000000c001")
LEAD_1 = uuid.UUID("00000000-0000-0000-0000-00000000d001")
LEAD_2 = uuid.UUID("00000000-0000-0000-0000-00000000d002")
LEAD_3 = uuid.UUID("00000000-0000-0000-0000-00000000d003")
OPP_WON = uuid.UUID("00000000-0000-0000-0000-00000000f001")
OPP_OPEN = uuid.UUID("00000000-0000-0000-0000-00000000f002")


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    """Undo the JSON handler ``python -m etl`` (``main``) installs, so it never writes to a later test's stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def sql(engine: Engine, statement: str, **params: Any) -> None:
    """Run one statement in its own transaction."""
    with engine.begin() as conn:
        conn.execute(text(statement), params)


@pytest.fixture
def crm_data(clean_db: Engine) -> Engine:
    """A territory, a team with a manager and a rep, an account, three leads, a won and an open deal with history."""
    statements = [
        f"INSERT INTO territories (id, name, region) VALUES ('{TERRITORY}', 'EMEA', 'europe')",
        f"INSERT INTO teams (id, name) VALUES ('{TEAM}', 'Team North')",
        f"INSERT INTO users (id, email, name, role, password_hash, team_id, territory_id) VALUES "
        f"('{MANAGER}', 'maya@example.com', 'Maya Manager', 'manager', 'x', '{TEAM}', '{TERRITORY}'), "
        f"('{REP}', 'rob@example.com', 'Rob Rep', 'rep', 'x', '{TEAM}', '{TERRITORY}')",
        f"UPDATE users SET manager_id = '{MANAGER}' WHERE id = '{REP}'",
        f"UPDATE teams SET manager_id = '{MANAGER}'",
        f"INSERT INTO accounts (id, name, industry) VALUES ('{ACCOUNT}', 'Acme', 'technology')",
        "INSERT INTO leads (id, first_name, last_name, email, source, status, owner_id, territory_id, created_at) "
        f"VALUES ('{LEAD_1}', 'John', 'Doe', 'john@example.com', 'web', 'new', '{REP}', '{TERRITORY}', "
        "'2025-01-01T10:00:00Z'), "
        f"('{LEAD_2}', NULL, NULL, 'anon@example.com', 'event', 'contacted', '{REP}', NULL, '2025-01-02T10:00:00Z'), "
        f"('{LEAD_3}', 'Ada', 'Won', 'ada@example.com', 'referral', 'new', '{REP}', '{TERRITORY}', "
        "'2025-01-03T10:00:00Z')",
        "INSERT INTO opportunities (id, name, account_id, lead_id, owner_id, territory_id, stage, amount, "
        "expected_close_date, closed_at, created_at) VALUES "
        f"('{OPP_WON}', 'Acme deal', '{ACCOUNT}', '{LEAD_3}', '{REP}', '{TERRITORY}', 'closed_won', 1500, "
        "'2025-02-15', '2025-01-20T12:00:00Z', '2025-01-05T09:00:00Z'), "
        f"('{OPP_OPEN}', 'Open deal', '{ACCOUNT}', NULL, '{REP}', '{TERRITORY}', 'proposal', 800, '2025-03-01', "
        "NULL, '2025-01-06T09:00:00Z')",
        f"UPDATE leads SET status = 'converted', converted_at = '2025-01-05T09:00:00Z', "
        f"converted_opportunity_id = '{OPP_WON}', account_id = '{ACCOUNT}' WHERE id = '{LEAD_3}'",
        # The won deal: prospecting 1000 → proposal 1500 (close date pushed) → closed won.
        "INSERT INTO opportunity_stage_history (opportunity_id, from_stage, to_stage, amount, expected_close_date, "
        f"changed_at) VALUES ('{OPP_WON}', NULL, 'prospecting', 1000, '2025-02-01', '2025-01-05T09:00:00Z'), "
        f"('{OPP_WON}', 'prospecting', 'proposal', 1500, '2025-02-15', '2025-01-10T12:00:00Z'), "
        f"('{OPP_WON}', 'proposal', 'closed_won', 1500, '2025-02-15', '2025-01-20T12:00:00Z'), "
        f"('{OPP_OPEN}', NULL, 'proposal', 800, '2025-03-01', '2025-01-06T09:00:00Z')",
        f"INSERT INTO quotas (user_id, period_start, amount) VALUES ('{REP}', '2025-01-01', 50000)",
    ]
    for statement in statements:
        sql(clean_db, statement)
    return clean_db


def query(path: Path, statement: str) -> list[tuple[Any, ...]]:
    """Rows of one query on a warehouse file (read-only)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(statement).fetchall()
    finally:
        con.close()


STABLE_COLUMNS_SQL = "SELECT * EXCLUDE ({}) FROM {} ORDER BY ALL"
TIME_DEPENDENT = {"opportunities": "days_in_stage, days_open"}


def mart_contents(path: Path, marts: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of each mart, minus the columns that move with the clock."""
    out = {}
    for mart in marts:
        excluded = TIME_DEPENDENT.get(mart)
        statement = STABLE_COLUMNS_SQL.format(excluded, mart) if excluded else f"SELECT * FROM {mart} ORDER BY ALL"
        out[mart] = query(path, statement)
    return out
