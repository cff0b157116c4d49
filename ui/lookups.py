"""Cached option lists for filters and forms: people and territories by id (refreshed every minute)."""

from __future__ import annotations

import uuid

import streamlit as st

from crm.lookups import Person, list_people, list_territory_names
from ui.resources import sessions


@st.cache_data(ttl=60, show_spinner=False)
def people() -> dict[uuid.UUID, Person]:
    """Every user by id, ordered by name."""
    with sessions()() as session:
        return list_people(session=session)


@st.cache_data(ttl=60, show_spinner=False)
def territory_names() -> dict[uuid.UUID, str]:
    """Every territory's name by id, ordered by name."""
    with sessions()() as session:
        return list_territory_names(session=session)


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
