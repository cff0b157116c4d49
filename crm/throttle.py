"""Sign-in throttling per email, kept in PostgreSQL so every app replica agrees.

After ``MAX_FAILURES`` failed sign-ins for one email within ``WINDOW``, further attempts are
refused with TooManyAttempts until the oldest failure in the window is ``WINDOW`` old. A
failure is written in its own short transaction, so it counts even when the caller's
transaction rolls back (as a failed sign-in does); a successful sign-in clears the count.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from crm.errors import TooManyAttempts

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def _key(email: str) -> str:
    return (email or "").strip().lower()


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def ensure_sign_in_allowed(*, session: Session, email: str) -> None:
    """Raise TooManyAttempts when this email has too many recent failed sign-ins."""
    row = session.execute(
        text(
            "SELECT count(*) AS n, min(failed_at) AS oldest, now() AS now FROM sign_in_failures "
            "WHERE email_key = :key AND failed_at > now() - make_interval(secs => :window)"
        ),
        {"key": _key(email), "window": WINDOW.total_seconds()},
    ).one()
    if row.n >= MAX_FAILURES:
        wait = (row.oldest + WINDOW - row.now).total_seconds()
        minutes = max(1, math.ceil(wait / 60))
        unit = "minute" if minutes == 1 else "minutes"
        raise TooManyAttempts(f"Too many failed sign-ins for this email. Try again in {minutes} {unit}.")


def record_failed_sign_in(*, session: Session, email: str) -> None:
    """Count one failed sign-in for this email (committed at once, on its own connection)."""
    with _engine(session).begin() as conn:
        conn.execute(
            text(
                "DELETE FROM sign_in_failures WHERE email_key = :key AND failed_at < now() - make_interval(secs => :w)"
            ),
            {"key": _key(email), "w": WINDOW.total_seconds()},
        )
        conn.execute(text("INSERT INTO sign_in_failures (email_key) VALUES (:key)"), {"key": _key(email)})


def clear_failed_sign_ins(*, session: Session, email: str) -> None:
    """Forget the failed sign-ins of this email (after a success or a password reset)."""
    session.execute(text("DELETE FROM sign_in_failures WHERE email_key = :key"), {"key": _key(email)})
