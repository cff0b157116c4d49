"""Browser sign-in sessions: start one after sign-in, exchange its one-time ticket for a cookie token, end it.

The Streamlit app cannot set cookies over its websocket, so a sign-in gives the browser a one-time
ticket (valid ``TICKET_SECONDS``), which the browser exchanges at ``POST /session/open`` for an
http-only cookie holding a random token signed with ``SECRET_KEY``. Only SHA-256 hashes of ticket and
token are stored; a session ends at ``expires_at`` (``SESSION_HOURS`` after sign-in), on sign-out, or
when the user is deactivated. See docs/ui.md "Staying signed in".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import SignInSession, User

TICKET_SECONDS = 120


def _digest(secret_text: str) -> str:
    return hashlib.sha256(secret_text.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def start_session(*, session: Session, user_id: uuid.UUID, hours: float) -> tuple[uuid.UUID, str]:
    """A new session for ``user_id`` lasting ``hours``; returns its id and the one-time ticket for the browser."""
    ticket = secrets.token_urlsafe(32)
    now = _now()
    row = SignInSession(
        user_id=user_id,
        ticket_hash=_digest(ticket),
        ticket_expires_at=now + timedelta(seconds=TICKET_SECONDS),
        expires_at=now + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return row.id, ticket


def redeem_ticket(*, session: Session, ticket: str) -> tuple[str, datetime] | None:
    """Exchange a fresh, unused ticket for the session's token (once); None for anything else."""
    now = _now()
    row = session.scalar(
        select(SignInSession)
        .where(
            SignInSession.ticket_hash == _digest(ticket),
            SignInSession.ticket_expires_at > now,
            SignInSession.revoked_at.is_(None),
            SignInSession.expires_at > now,
        )
        .with_for_update()
    )
    if row is None:
        return None
    token = secrets.token_urlsafe(32)
    row.ticket_hash, row.ticket_expires_at, row.token_hash = None, None, _digest(token)
    session.flush()
    return token, row.expires_at


def user_for_token(*, session: Session, token: str) -> tuple[uuid.UUID, User] | None:
    """The live session's id and its active user for a cookie token; None when expired, revoked or unknown."""
    now = _now()
    found = session.execute(
        select(SignInSession.id, User)
        .join(User, User.id == SignInSession.user_id)
        .where(
            SignInSession.token_hash == _digest(token),
            SignInSession.revoked_at.is_(None),
            SignInSession.expires_at > now,
            User.is_active.is_(True),
        )
    ).first()
    return None if found is None else (found[0], found[1])


def session_is_live(*, session: Session, session_id: uuid.UUID) -> bool:
    """True while the session is neither expired nor ended, and its user is active."""
    now = _now()
    found = session.scalar(
        select(SignInSession.id)
        .join(User, User.id == SignInSession.user_id)
        .where(
            SignInSession.id == session_id,
            SignInSession.revoked_at.is_(None),
            SignInSession.expires_at > now,
            User.is_active.is_(True),
        )
    )
    return found is not None


def end_session(*, session: Session, session_id: uuid.UUID | None = None, token: str | None = None) -> None:
    """Sign out: the session (by id or by cookie token) signs nobody in from now on."""
    if session_id is None and token is None:
        return
    condition = (
        SignInSession.id == session_id if session_id is not None else SignInSession.token_hash == _digest(token or "")
    )
    session.execute(
        update(SignInSession).where(condition, SignInSession.revoked_at.is_(None)).values(revoked_at=_now())
    )


def sign_token(token: str, secret: str) -> str:
    """``token.signature``: the cookie value (HMAC-SHA256 with ``secret``)."""
    mac = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
    return f"{token}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def unsign_token(value: str, secret: str) -> str | None:
    """The token of a cookie value signed with ``secret``; None when the signature does not match."""
    token, _, _signature = value.rpartition(".")
    if not token or not hmac.compare_digest(sign_token(token, secret), value):
        return None
    return token
