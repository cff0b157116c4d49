from __future__ import annotations

import pytest
from sqlalchemy import text

from crm.errors import AuthenticationFailed, DomainError, ValidationFailed
from crm.users import NewUser, authenticate, create_user


def test_create_user_hashes_password_with_argon2id(session):
    user = create_user(session=session, data=NewUser(email="Leo@Example.com", password="s3cret-pass", role="rep"))
    assert user.password_hash.startswith("$argon2id$")
    assert "s3cret-pass" not in user.password_hash


def test_email_is_unique_case_insensitively(session):
    create_user(session=session, data=NewUser(email="maya@example.com", password="s3cret-pass", role="manager"))
    with pytest.raises(DomainError, match="already exists"):
        create_user(session=session, data=NewUser(email="MAYA@example.com", password="s3cret-pass", role="rep"))


def test_bad_input_names_each_field(session):
    with pytest.raises(ValidationFailed) as err:
        create_user(session=session, data=NewUser(email="nope", password="short", role="boss"))
    fields = {field for field, _ in err.value.errors}
    assert fields == {"email", "password", "role"}


def test_rep_joins_the_team_of_their_manager(session):
    manager = create_user(
        session=session, data=NewUser(email="m@example.com", password="s3cret-pass", role="manager", name="Maya")
    )
    rep = create_user(
        session=session,
        data=NewUser(
            email="r@example.com",
            password="s3cret-pass",
            role="rep",
            manager_email="m@example.com",
            territory_name="EMEA",
        ),
    )
    assert rep.manager_id == manager.id
    assert rep.team_id == manager.team_id is not None
    assert rep.territory is not None and rep.territory.name == "EMEA"


def test_authenticate_gives_one_message_for_unknown_email_and_wrong_password(session):
    create_user(session=session, data=NewUser(email="a@example.com", password="right-password", role="analyst"))
    with pytest.raises(AuthenticationFailed) as unknown:
        authenticate(session=session, email="nobody@example.com", password="right-password")
    with pytest.raises(AuthenticationFailed) as wrong:
        authenticate(session=session, email="a@example.com", password="wrong-password")
    assert str(unknown.value) == str(wrong.value)
    assert authenticate(session=session, email="A@EXAMPLE.COM", password="right-password").role == "analyst"


def test_database_keeps_updated_at_and_version_for_any_writer(session):
    user = create_user(session=session, data=NewUser(email="v@example.com", password="s3cret-pass", role="rep"))
    session.commit()
    before = session.execute(text("SELECT version, updated_at FROM users WHERE id = :id"), {"id": user.id}).one()
    session.execute(text("UPDATE users SET name = 'Changed by psql' WHERE id = :id"), {"id": user.id})
    session.commit()
    after = session.execute(text("SELECT version, updated_at FROM users WHERE id = :id"), {"id": user.id}).one()
    assert after.version == before.version + 1
    assert after.updated_at > before.updated_at
