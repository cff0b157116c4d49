from __future__ import annotations

import pytest
from sqlalchemy import text

from crm.actors import SYSTEM_ACTOR, actor_from_user
from crm.errors import AuthenticationFailed, DomainError, PermissionDenied, ValidationFailed
from crm.users import NewUser, authenticate, create_user


def test_create_user_hashes_password_with_argon2id(session):
    user = create_user(
        session=session, data=NewUser(email="Leo@Example.com", password="s3cret-pass", role="rep"), actor=SYSTEM_ACTOR
    )
    assert user.password_hash.startswith("$argon2id$")
    assert "s3cret-pass" not in user.password_hash


def test_email_is_unique_case_insensitively(session):
    create_user(
        session=session,
        data=NewUser(email="maya@example.com", password="s3cret-pass", role="manager"),
        actor=SYSTEM_ACTOR,
    )
    with pytest.raises(DomainError, match="already exists"):
        create_user(
            session=session,
            data=NewUser(email="MAYA@example.com", password="s3cret-pass", role="rep"),
            actor=SYSTEM_ACTOR,
        )


def test_bad_input_names_each_field(session):
    with pytest.raises(ValidationFailed) as err:
        create_user(session=session, data=NewUser(email="nope", password="short", role="boss"), actor=SYSTEM_ACTOR)
    fields = {field for field, _ in err.value.errors}
    assert fields == {"email", "password", "role"}


def test_rep_joins_the_team_of_their_manager(session):
    manager = create_user(
        session=session,
        data=NewUser(email="m@example.com", password="s3cret-pass", role="manager", name="Maya"),
        actor=SYSTEM_ACTOR,
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
        actor=SYSTEM_ACTOR,
    )
    assert rep.manager_id == manager.id
    assert rep.team_id == manager.team_id is not None
    assert rep.territory is not None and rep.territory.name == "EMEA"


def test_authenticate_gives_one_message_for_unknown_email_and_wrong_password(session):
    create_user(
        session=session,
        data=NewUser(email="a@example.com", password="right-password", role="analyst"),
        actor=SYSTEM_ACTOR,
    )
    with pytest.raises(AuthenticationFailed) as unknown:
        authenticate(session=session, email="nobody@example.com", password="right-password")
    with pytest.raises(AuthenticationFailed) as wrong:
        authenticate(session=session, email="a@example.com", password="wrong-password")
    assert str(unknown.value) == str(wrong.value)
    assert authenticate(session=session, email="A@EXAMPLE.COM", password="right-password").role == "analyst"


def test_database_keeps_updated_at_and_version_for_any_writer(session):
    user = create_user(
        session=session, data=NewUser(email="v@example.com", password="s3cret-pass", role="rep"), actor=SYSTEM_ACTOR
    )
    session.commit()
    before = session.execute(text("SELECT version, updated_at FROM users WHERE id = :id"), {"id": user.id}).one()
    session.execute(text("UPDATE users SET name = 'Changed by psql' WHERE id = :id"), {"id": user.id})
    session.commit()
    after = session.execute(text("SELECT version, updated_at FROM users WHERE id = :id"), {"id": user.id}).one()
    assert after.version == before.version + 1
    assert after.updated_at > before.updated_at


def _count(session, table: str) -> int:
    return session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.mark.parametrize("role", ["rep", "manager", "analyst"])
def test_non_admin_cannot_create_a_user_and_nothing_is_written(session, role):
    someone = create_user(
        session=session,
        data=NewUser(email=f"{role}@example.com", password="s3cret-pass", role=role),
        actor=SYSTEM_ACTOR,
    )
    before = (_count(session, "users"), _count(session, "territories"), _count(session, "audit_log"))
    with pytest.raises(PermissionDenied):
        create_user(
            session=session,
            data=NewUser(email="new@example.com", password="s3cret-pass", role="admin", territory_name="Mars"),
            actor=actor_from_user(someone),
        )
    assert (_count(session, "users"), _count(session, "territories"), _count(session, "audit_log")) == before


def test_admin_creation_is_audited_with_the_admin_and_a_new_territory_too(session):
    admin = actor_from_user(
        create_user(
            session=session,
            data=NewUser(email="ana@example.com", password="s3cret-pass", role="admin"),
            actor=SYSTEM_ACTOR,
        )
    )
    user = create_user(
        session=session,
        data=NewUser(email="r@example.com", password="s3cret-pass", role="rep", territory_name="EMEA"),
        actor=admin,
    )
    rows = session.execute(
        text("SELECT actor_id, entity_type, entity_id, action, changes FROM audit_log ORDER BY created_at")
    ).all()
    assert [(r.actor_id, r.entity_type, r.action) for r in rows] == [
        (None, "user", "create"),  # the command line's system actor is no users row: no actor id
        (admin.id, "territory", "create"),
        (admin.id, "user", "create"),
    ]
    assert rows[1].entity_id == user.territory_id
    assert rows[2].entity_id == user.id
    assert rows[2].changes["email"] == "r@example.com" and rows[2].changes["role"] == "rep"
