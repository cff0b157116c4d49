"""Fixtures for the crm service tests: a small sales org (fast: users inserted without hashing)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from crm.actors import Actor, actor_from_user
from crm.security import DUMMY_HASH
from models import Team, Territory, User


@dataclass
class Org:
    """Maya manages Leo and Rita; Omar manages Oscar; plus an admin and an analyst."""

    admin: Actor
    analyst: Actor
    maya: Actor
    leo: Actor
    rita: Actor
    omar: Actor
    oscar: Actor
    west: Territory
    east: Territory


def add_user(
    session: Session,
    name: str,
    role: str,
    *,
    team: Team | None = None,
    manager: User | None = None,
    territory: Territory | None = None,
) -> User:
    """Insert a user directly (a dummy hash keeps tests fast)."""
    user = User(
        id=uuid.uuid4(),
        email=f"{name.lower()}@example.com",
        name=name,
        role=role,
        password_hash=DUMMY_HASH,
        team_id=team.id if team else None,
        manager_id=manager.id if manager else None,
        territory_id=territory.id if territory else None,
    )
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def org(session: Session) -> Org:
    """Two teams, two territories, one admin and one analyst."""
    west = Territory(id=uuid.uuid4(), name="West", rules=[{"countries": ["US"]}], priority=100)
    east = Territory(id=uuid.uuid4(), name="East", rules=[{"countries": ["DE", "FR"]}], priority=100)
    session.add_all([west, east])
    session.flush()
    admin = add_user(session, "Ana", "admin")
    analyst = add_user(session, "Sam", "analyst")
    maya = add_user(session, "Maya", "manager")
    team_a = Team(id=uuid.uuid4(), name="Team Maya", manager_id=maya.id)
    omar = add_user(session, "Omar", "manager")
    team_b = Team(id=uuid.uuid4(), name="Team Omar", manager_id=omar.id)
    session.add_all([team_a, team_b])
    session.flush()
    maya.team_id, omar.team_id = team_a.id, team_b.id
    leo = add_user(session, "Leo", "rep", team=team_a, manager=maya, territory=west)
    rita = add_user(session, "Rita", "rep", team=team_a, manager=maya, territory=west)
    oscar = add_user(session, "Oscar", "rep", team=team_b, manager=omar, territory=east)
    session.flush()
    return Org(
        admin=actor_from_user(admin),
        analyst=actor_from_user(analyst),
        maya=actor_from_user(maya),
        leo=actor_from_user(leo),
        rita=actor_from_user(rita),
        omar=actor_from_user(omar),
        oscar=actor_from_user(oscar),
        west=west,
        east=east,
    )


@pytest.fixture
def no_sign_in_failures(clean_db):
    """Empty the throttling table before and after (it is written on its own connection)."""
    with clean_db.begin() as conn:
        conn.execute(text("DELETE FROM sign_in_failures"))
    yield
    with clean_db.begin() as conn:
        conn.execute(text("DELETE FROM sign_in_failures"))


@pytest.fixture
def rollback_session(engine) -> Iterator[Session]:
    """A session inside one outer transaction that is rolled back at the end (no TRUNCATE needed).

    For tests that never commit; services' savepoints work as usual.
    """
    with engine.connect() as conn:
        outer = conn.begin()
        s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield s
        finally:
            s.close()
            outer.rollback()
