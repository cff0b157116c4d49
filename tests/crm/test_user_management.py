from __future__ import annotations

import pytest

from crm.audit import audit_trail
from crm.errors import AuthenticationFailed, DomainError, PermissionDenied, ValidationFailed
from crm.users import activate_user, authenticate, change_role, deactivate_user, list_users
from models import User


@pytest.fixture
def session(rollback_session):
    """These tests never commit: roll back instead of truncating (fast)."""
    return rollback_session


@pytest.mark.parametrize("who", ["leo", "maya", "analyst"])
def test_only_admins_manage_users(session, org, who):
    actor = getattr(org, who)
    for call in (
        lambda: deactivate_user(session=session, user_id=org.rita.id, actor=actor),
        lambda: change_role(session=session, user_id=org.rita.id, role="admin", actor=actor),
        lambda: list_users(session=session, actor=actor),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert session.get(User, org.rita.id).role == "rep"


def test_deactivated_user_cannot_sign_in_and_can_be_reactivated(session, org):
    rita = deactivate_user(session=session, user_id=org.rita.id, actor=org.admin)
    assert rita.is_active is False
    with pytest.raises(AuthenticationFailed):
        authenticate(session=session, email="rita@example.com", password="anything-at-all")
    assert activate_user(session=session, user_id=org.rita.id, actor=org.admin).is_active is True
    actions = [e.action for e in audit_trail(session=session, entity_type="user", entity_id=org.rita.id)]
    assert actions == ["deactivate", "activate"]


def test_change_role_validates_and_gives_a_new_manager_a_team(session, org):
    with pytest.raises(ValidationFailed) as err:
        change_role(session=session, user_id=org.rita.id, role="boss", actor=org.admin)
    assert err.value.field == "role"
    rita = change_role(session=session, user_id=org.rita.id, role="manager", actor=org.admin)
    assert rita.role == "manager" and rita.team_id is not None


def test_admin_cannot_lock_themselves_out(session, org):
    with pytest.raises(DomainError):
        deactivate_user(session=session, user_id=org.admin.id, actor=org.admin)
    with pytest.raises(DomainError):
        change_role(session=session, user_id=org.admin.id, role="rep", actor=org.admin)
    assert [u.name for u in list_users(session=session, actor=org.admin)][:2] == ["Ana", "Leo"]
