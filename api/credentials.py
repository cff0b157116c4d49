"""Bearer tokens: signing and checking JWTs with a revocable ``jti`` (revocations and API keys: ``crm.api_keys``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.settings import get_settings
from crm.actors import Actor
from crm.api_keys import record_revoked_token
from crm.errors import AuthenticationFailed
from models import User
from models.api_tables import RevokedToken

ACCESS_TOKEN_MINUTES = 30
ALGORITHM = "HS256"
_INVALID = "Invalid, expired or revoked credentials: sign in again"


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed bearer token."""

    access_token: str
    jti: str
    expires_at: datetime


def issue_token(*, user_id: uuid.UUID, minutes: int = ACCESS_TOKEN_MINUTES) -> IssuedToken:
    """Sign a short-lived bearer token for ``user_id``."""
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=minutes)
    jti = uuid.uuid4().hex
    claims = {"sub": str(user_id), "jti": jti, "iat": now, "exp": expires, "typ": "access"}
    token = jwt.encode(claims, get_settings().secret_key, algorithm=ALGORITHM)
    return IssuedToken(access_token=token, jti=jti, expires_at=expires)


def decode_token(token: str) -> dict[str, object]:
    """The claims of a valid, unexpired token signed by us; AuthenticationFailed otherwise."""
    try:
        claims = jwt.decode(
            token, get_settings().secret_key, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "jti"]}
        )
    except jwt.PyJWTError:
        raise AuthenticationFailed(_INVALID) from None
    if claims.get("typ") != "access":
        raise AuthenticationFailed(_INVALID)
    return claims


def actor_for_token(*, session: Session, token: str) -> tuple[Actor, dict[str, object]]:
    """The active user a bearer token stands for (refusing revoked tokens), with its claims."""
    claims = decode_token(token)
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except ValueError:
        raise AuthenticationFailed(_INVALID) from None
    row = session.execute(
        select(User.id, User.email, User.name, User.role, User.team_id, User.is_active, RevokedToken.jti)
        .outerjoin(RevokedToken, RevokedToken.jti == str(claims["jti"]))
        .where(User.id == user_id)
    ).first()
    if row is None or row.jti is not None or not row.is_active:
        raise AuthenticationFailed(_INVALID)
    return Actor(id=row.id, email=row.email, name=row.name, role=row.role, team_id=row.team_id), claims


def revoke_token(*, session: Session, claims: dict[str, object]) -> None:
    """Revoke the token with these claims until it expires (stored by ``crm.api_keys``)."""
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)  # type: ignore[call-overload]
    record_revoked_token(
        session=session, jti=str(claims["jti"]), user_id=uuid.UUID(str(claims["sub"])), expires_at=expires
    )
