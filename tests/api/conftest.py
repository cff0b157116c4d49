"""Fixtures for the REST API: a TestClient on the throwaway database, users of every role, tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.credentials import issue_token
from api.main import app
from core.db import transaction
from crm.actors import SYSTEM_ACTOR
from crm.users import NewUser, create_user

PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Person:
    """A user of the test database and the headers that authenticate them."""

    id: uuid.UUID
    email: str
    role: str

    @property
    def headers(self) -> dict[str, str]:
        """A fresh bearer token for this user."""
        return {"Authorization": f"Bearer {issue_token(user_id=self.id).access_token}"}


# Emptied after each test; users (slow to create: argon2) live for a whole module.
RECORD_TABLES = (
    "audit_log",
    "opportunity_stage_history",
    "opportunities",
    "leads",
    "accounts",
    "api_keys",
    "revoked_tokens",
    "sign_in_failures",
    "deleted_records",
)
ALL_TABLES = (*RECORD_TABLES, "quotas", "users", "teams", "territories")


def _truncate(engine: Engine, tables: tuple[str, ...]) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(tables) + " CASCADE"))


def _delete_records(engine: Engine) -> None:
    """Empty the record tables (DELETE: much cheaper than TRUNCATE for the few rows a test makes)."""
    with engine.begin() as conn:
        for table in RECORD_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def client(engine: Engine, people: dict[str, Person]) -> Iterator[TestClient]:
    """The API on the throwaway database; records made by the test are removed after it."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    _delete_records(engine)


@pytest.fixture(scope="module")
def people(engine: Engine) -> Iterator[dict[str, Person]]:
    """A manager with two reps on their team, a rep on no team, an analyst and an admin."""
    specs = [
        ("manager", "maya@example.com", None),
        ("rep", "leo@example.com", "maya@example.com"),
        ("teammate", "tom@example.com", "maya@example.com"),
        ("outsider", "olga@example.com", None),
        ("analyst", "sam@example.com", None),
        ("admin", "ana@example.com", None),
    ]
    result: dict[str, Person] = {}
    with transaction() as session:
        for key, email, manager in specs:
            role = "rep" if key in ("rep", "teammate", "outsider") else key
            user = create_user(
                session=session,
                data=NewUser(email=email, password=PASSWORD, role=role, manager_email=manager),
                actor=SYSTEM_ACTOR,
            )
            result[key] = Person(id=user.id, email=user.email, role=role)
    yield result
    _truncate(engine, ALL_TABLES)


@pytest.fixture
def new_lead() -> Callable[..., dict[str, object]]:
    """Builds a valid lead body with a unique email (keyword arguments override fields)."""
    return lead_payload


@pytest.fixture
def create_lead(client: TestClient) -> Callable[..., dict[str, object]]:
    """Creates a lead through the API as ``who`` and returns its JSON."""

    def create(who: Person, **fields: object) -> dict[str, object]:
        response = client.post("/api/v1/leads", json=lead_payload(**fields), headers=who.headers)
        assert response.status_code == 201, response.text
        return response.json()

    return create


@pytest.fixture
def make_warehouse(warehouse_path: Path) -> Callable[[list[tuple[str, str, bool, float, float]]], Path]:
    """Builds the tiny serving warehouse at WAREHOUSE_PATH from opportunity rows."""

    def build(rows: list[tuple[str, str, bool, float, float]]) -> Path:
        build_warehouse(warehouse_path, rows)
        return warehouse_path

    return build


def lead_payload(**overrides: object) -> dict[str, object]:
    """A valid lead body with a unique email."""
    body: dict[str, object] = {
        "first_name": "John",
        "last_name": "Doe",
        "email": f"john.{uuid.uuid4().hex[:8]}@example.com",
        "company": "Acme Corp",
        "title": "VP Engineering",
        "industry": "Technology",
        "employee_count": 500,
        "annual_revenue": 50000000,
        "engagement_score": 85,
        "source": "web",
    }
    body.update(overrides)
    return body


def build_warehouse(path: Path, opportunities: list[tuple[str, str, bool, float, float]]) -> None:
    """A tiny serving warehouse: ``opportunities`` rows of (owner_id, stage, is_open, amount, weighted) and runs."""
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE opportunities (opportunity_id VARCHAR, name VARCHAR, source VARCHAR, owner_id VARCHAR, "
            "team_id VARCHAR, territory_id VARCHAR, territory_name VARCHAR, stage VARCHAR, is_open BOOLEAN, "
            "is_closed BOOLEAN, is_won BOOLEAN, amount DECIMAL(14,2), currency VARCHAR, probability DOUBLE, "
            "weighted_amount DECIMAL(14,2), created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ)"
        )
        for owner, stage, is_open, amount, weighted in opportunities:
            con.execute(
                "INSERT INTO opportunities VALUES (?, 'Deal', 'web', ?, NULL, NULL, 'North', ?, ?, NOT ?, "
                "?, ?, 'USD', NULL, ?, now(), now())",
                [str(uuid.uuid4()), owner, stage, is_open, is_open, stage == "closed_won", amount, weighted],
            )
        con.execute(
            "CREATE TABLE leads (lead_id VARCHAR, source VARCHAR, is_converted BOOLEAN, created_at TIMESTAMPTZ)"
        )
        con.execute(
            "CREATE TABLE etl_runs (run_id VARCHAR, mode VARCHAR, status VARCHAR, started_at TIMESTAMPTZ, "
            "finished_at TIMESTAMPTZ, duration_seconds DOUBLE, source_snapshot_at TIMESTAMPTZ, "
            "rows_extracted JSON, rows_in_marts JSON, error VARCHAR)"
        )
        con.execute(
            "INSERT INTO etl_runs VALUES "
            "('r1', 'full', 'success', TIMESTAMPTZ '2026-11-28 10:00:00+00', TIMESTAMPTZ '2026-11-28 10:01:00+00', "
            "60, TIMESTAMPTZ '2026-11-28 10:00:00+00', NULL, NULL, NULL), "
            "('r2', 'incremental', 'failed', TIMESTAMPTZ '2026-11-28 11:00:00+00', NULL, "
            "NULL, TIMESTAMPTZ '2026-11-28 11:00:00+00', NULL, NULL, 'boom')"
        )
    finally:
        con.close()
