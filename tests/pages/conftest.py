"""AppTest fixtures: people of every role, a signed-in app, and clean Streamlit caches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from core.db import transaction
from crm import users as crm_users
from crm.actors import SYSTEM_ACTOR, Actor, actor_from_user
from crm.security import hash_password
from crm.users import NewUser, create_user
from ui.session import SESSION_KEY

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def fresh_streamlit_caches() -> Iterator[None]:
    """Streamlit caches are process-global: every test starts and ends without them."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """The argon2id hash of PASSWORD, computed once (hashing costs about 0.1 s a user)."""
    return hash_password(PASSWORD)


@pytest.fixture
def people(
    clean_db: Engine, password_hash: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> dict[str, Actor]:
    """One user per role (plus a second rep on the manager's team), committed, all with PASSWORD."""
    monkeypatch.setattr(crm_users, "hash_password", lambda p: password_hash if p == PASSWORD else hash_password(p))
    specs = [
        ("manager", "maya@example.com", "Maya Manager", None),
        ("rep", "leo@example.com", "Leo Rep", "maya@example.com"),
        ("rep", "rita@example.com", "Rita Rep", "maya@example.com"),
        ("analyst", "sam@example.com", "Sam Analyst", None),
        ("admin", "ana@example.com", "Ana Admin", None),
    ]
    request.addfinalizer(lambda: _forget_sign_in_failures(clean_db))
    out: dict[str, Actor] = {}
    with transaction(clean_db) as session:
        for role, email, name, manager in specs:
            user = create_user(
                session=session,
                data=NewUser(email=email, password=PASSWORD, role=role, name=name, manager_email=manager),
                actor=SYSTEM_ACTOR,
            )
            out[name.split()[0].lower()] = actor_from_user(user)
    return out


def _forget_sign_in_failures(engine: Engine) -> None:
    """Failed sign-ins live outside the tables clean_db empties; drop them so throttling does not leak."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM sign_in_failures"))


@pytest.fixture
def app_as() -> Callable[..., AppTest]:
    """``app_as(actor, script=None, **query)``: the app run with ``actor`` signed in, optionally on ``script``."""

    def make(actor: Actor, script: str | None = None, /, **query: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.session_state[SESSION_KEY] = actor
        at.run()
        if script is not None:
            for key, value in query.items():
                at.query_params[key] = value
            at.switch_page(script)
            at.run()
        return at

    return make
