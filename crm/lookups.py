"""The reads forms need from PostgreSQL: people and territories as option lists show them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Territory, User


@dataclass(frozen=True)
class Person:
    """A user as option lists show them."""

    id: uuid.UUID
    name: str
    email: str
    role: str
    is_active: bool
    team_id: uuid.UUID | None
    manager_id: uuid.UUID | None


@dataclass(frozen=True)
class TerritoryView:
    """A territory as the admin page edits it: its rules, priority and version."""

    id: uuid.UUID
    name: str
    region: str | None
    priority: int
    rules: list[dict[str, Any]]
    version: int
    is_active: bool


def list_people(*, session: Session) -> dict[uuid.UUID, Person]:
    """Every user by id, ordered by name."""
    rows = session.execute(
        select(User.id, User.name, User.email, User.role, User.is_active, User.team_id, User.manager_id).order_by(
            User.name
        )
    ).all()
    return {row.id: Person(*row) for row in rows}


def list_territory_names(*, session: Session) -> dict[uuid.UUID, str]:
    """Every territory's name by id, ordered by name."""
    rows = session.execute(select(Territory.id, Territory.name).order_by(Territory.name)).all()
    return {row.id: row.name for row in rows}


def list_territories(*, session: Session) -> list[TerritoryView]:
    """Every territory with its rules, highest priority first."""
    rows = session.scalars(select(Territory).order_by(Territory.priority.desc(), Territory.name)).all()
    return [
        TerritoryView(t.id, t.name, t.region, t.priority, list(t.rules or []), t.version, t.is_active) for t in rows
    ]
