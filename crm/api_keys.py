"""Integration API keys (random, stored hashed) and revoked bearer tokens: the writes behind the API's credentials."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from crm.actors import Actor, actor_from_user
from crm.errors import AuthenticationFailed, NotFound, ValidationFailed
from crm.permissions import ensure_admin
from models import User
from models.api_tables import ApiKey, RevokedToken

API_KEY_PREFIX = "sk_"


def record_revoked_token(*, session: Session, jti: str, user_id: uuid.UUID, expires_at: datetime) -> None:
    """Refuse the token ``jti`` until it expires; forget revocations already expired."""
    session.execute(
        insert(RevokedToken)
        .values(jti=jti, user_id=user_id, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["jti"])
    )
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < datetime.now(UTC)))
    session.flush()


def hash_api_key(secret: str) -> str:
    """SHA-256 hex digest of a key (keys are 256-bit random, so a fast hash is enough)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    *, session: Session, actor: Actor, name: str, user_id: uuid.UUID | None = None, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create a key acting as ``user_id`` (default: the admin); return it and the secret, shown once."""
    ensure_admin(actor)
    if not name.strip():
        raise ValidationFailed([("name", "must not be blank")])
    owner_id = user_id or actor.id
    owner = session.get(User, owner_id)
    if owner is None or not owner.is_active:
        raise NotFound(f"No active user with id {owner_id}", field="user_id")
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=uuid.uuid4(),
        name=name.strip(),
        prefix=secret[:10],
        key_hash=hash_api_key(secret),
        user_id=owner.id,
        created_by_id=actor.id,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return key, secret


def list_api_keys(*, session: Session, actor: Actor) -> list[ApiKey]:
    """Every API key (never the secrets), newest first; admins only."""
    ensure_admin(actor)
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc())))


def revoke_api_key(*, session: Session, actor: Actor, key_id: uuid.UUID) -> ApiKey:
    """Revoke a key at once; admins only."""
    ensure_admin(actor)
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No API key with id {key_id}", field="key_id")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        session.flush()
    return key


def actor_for_api_key(*, session: Session, secret: str) -> Actor:
    """The active user an unrevoked, unexpired API key acts as."""
    row = session.execute(
        select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.key_hash == hash_api_key(secret))
    ).first()
    now = datetime.now(UTC)
    if row is None:
        raise AuthenticationFailed("Invalid or revoked API key")
    key, user = row
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now) or not user.is_active:
        raise AuthenticationFailed("Invalid or revoked API key")
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    return actor_from_user(user)
