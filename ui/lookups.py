"""Cached option lists for filters and forms: people and territories by id (refreshed every minute)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import select

from models import Territory, User
from ui.resources import sessions


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


@st.cache_data(ttl=60, show_spinner=False)
def people() -> dict[uuid.UUID, Person]:
    """Every user by id, ordered by name."""
    with sessions()() as session:
        rows = session.execute(
            select(User.id, User.name, User.email, User.role, User.is_active, User.team_id, User.manager_id).order_by(
                User.name
            )
        ).all()
    return {row.id: Person(*row) for row in rows}


@st.cache_data(ttl=60, show_spinner=False)
def territory_names() -> dict[uuid.UUID, str]:
    """Every territory's name by id, ordered by name."""
    with sessions()() as session:
        rows = session.execute(select(Territory.id, Territory.name).order_by(Territory.name)).all()
    return {row.id: row.name for row in rows}


def person_name(user_id: uuid.UUID | None) -> str:
    """The name of a user, or "Unassigned"."""
    if user_id is None:
        return "Unassigned"
    person = people().get(user_id)
    return person.name if person else "Unknown user"


def territory_name(territory_id: uuid.UUID | None) -> str:
    """The name of a territory, or "No territory"."""
    if territory_id is None:
        return "No territory"
    return territory_names().get(territory_id, "Unknown territory")


def forget_lookups() -> None:
    """Drop the cached lists after users or territories change."""
    people.clear()
    territory_names.clear()
