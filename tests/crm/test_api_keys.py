"""API keys and revoked tokens: created, checked and revoked through crm.api_keys only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.api_keys import (
    actor_for_api_key,
    create_api_key,
    hash_api_key,
    list_api_keys,
    record_revoked_token,
    revoke_api_key,
)
from crm.errors import AuthenticationFailed, PermissionDenied, ValidationFailed
from models.api_tables import ApiKey, RevokedToken


def test_a_key_acts_as_its_user_until_revoked(session: Session, org) -> None:
    key, secret = create_api_key(session=session, actor=org.admin, name=" CRM sync ", user_id=org.leo.id)
    assert key.name == "CRM sync" and key.key_hash == hash_api_key(secret) and secret not in key.key_hash
    assert actor_for_api_key(session=session, secret=secret).id == org.leo.id
    assert [k.id for k in list_api_keys(session=session, actor=org.admin)] == [key.id]
    revoke_api_key(session=session, actor=org.admin, key_id=key.id)
    with pytest.raises(AuthenticationFailed):
        actor_for_api_key(session=session, secret=secret)


def test_only_admins_manage_keys_and_a_name_is_required(session: Session, org) -> None:
    with pytest.raises(PermissionDenied):
        create_api_key(session=session, actor=org.maya, name="mine")
    with pytest.raises(ValidationFailed):
        create_api_key(session=session, actor=org.admin, name="  ")
    assert session.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_revoking_a_token_twice_keeps_one_row_and_forgets_expired_ones(session: Session, org) -> None:
    now = datetime.now(UTC)
    record_revoked_token(session=session, jti="old", user_id=org.leo.id, expires_at=now - timedelta(minutes=1))
    jti = uuid.uuid4().hex
    for _ in range(2):
        record_revoked_token(session=session, jti=jti, user_id=org.leo.id, expires_at=now + timedelta(minutes=30))
    assert list(session.scalars(select(RevokedToken.jti))) == [jti]
