from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from core import db as core_db
from crm import security, users
from crm.actors import SYSTEM_ACTOR, actor_from_user
from crm.errors import AuthenticationFailed, TooManyAttempts
from crm.throttle import MAX_FAILURES
from crm.users import NewUser, authenticate, create_user, reset_password


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    """Argon2 at minimum cost: these tests verify many passwords; the parameters live in each hash."""
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(security, "_hasher", cheap)
    monkeypatch.setattr(users, "DUMMY_HASH", cheap.hash("not-a-real-password-0"))


@pytest.fixture
def session(no_sign_in_failures, clean_db):
    """A session that ends (rolls back) before the throttling table is emptied, so nothing waits on a lock."""
    with core_db.session_factory(clean_db)() as s:
        yield s
        s.rollback()


@pytest.fixture
def leo(session):
    user = create_user(
        session=session,
        data=NewUser(email="leo@example.com", password="right-password", role="rep"),
        actor=SYSTEM_ACTOR,
    )
    session.commit()
    return user


def _fail(session, email="leo@example.com"):
    with pytest.raises(AuthenticationFailed):
        authenticate(session=session, email=email, password="wrong-password")
    session.rollback()  # as the sign-in form does: the failure must still count


def test_after_five_failures_even_the_right_password_must_wait(session, leo):
    for attempt in range(MAX_FAILURES):
        _fail(session, "LEO@example.com" if attempt % 2 else "leo@example.com")
    with pytest.raises(TooManyAttempts) as err:
        authenticate(session=session, email="leo@example.com", password="right-password")
    assert str(err.value) == "Too many failed sign-ins for this email. Try again in 15 minutes."
    assert err.value.status_code == 429


def test_unknown_emails_are_throttled_the_same_way(session, leo):
    for _ in range(MAX_FAILURES):
        _fail(session, "nobody@example.com")
    with pytest.raises(TooManyAttempts):
        authenticate(session=session, email="nobody@example.com", password="x")
    assert authenticate(session=session, email="leo@example.com", password="right-password").id == leo.id


def test_a_successful_sign_in_resets_the_count(session, leo):
    for _ in range(MAX_FAILURES - 1):
        _fail(session)
    authenticate(session=session, email="leo@example.com", password="right-password")
    session.commit()
    for _ in range(MAX_FAILURES - 1):
        _fail(session)
    assert authenticate(session=session, email="leo@example.com", password="right-password").id == leo.id


def test_admin_password_reset_lifts_the_block(session, leo):
    admin = create_user(
        session=session,
        data=NewUser(email="ana@example.com", password="admin-password", role="admin"),
        actor=SYSTEM_ACTOR,
    )
    session.commit()
    for _ in range(MAX_FAILURES):
        _fail(session)
    reset_password(session=session, user_id=leo.id, new_password="brand-new-pass", actor=actor_from_user(admin))
    session.commit()
    assert authenticate(session=session, email="leo@example.com", password="brand-new-pass").id == leo.id
