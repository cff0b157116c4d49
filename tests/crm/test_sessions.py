"""Browser sign-in sessions: one-time tickets, tokens that end at expiry, sign-out or deactivation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from crm.sessions import (
    end_session,
    redeem_ticket,
    session_is_live,
    sign_token,
    start_session,
    unsign_token,
    user_for_token,
)
from models import SignInSession, User


def test_a_ticket_is_exchanged_once_for_a_token_that_signs_the_user_in(session, org):
    session_id, ticket = start_session(session=session, user_id=org.leo.id, hours=12)

    redeemed = redeem_ticket(session=session, ticket=ticket)
    assert redeemed is not None
    token, expires_at = redeemed
    assert timedelta(hours=11.9) < expires_at - datetime.now(UTC) <= timedelta(hours=12)
    assert redeem_ticket(session=session, ticket=ticket) is None  # a second use signs nobody in
    found = user_for_token(session=session, token=token)
    assert found is not None and found[0] == session_id and found[1].email == "leo@example.com"
    assert user_for_token(session=session, token=ticket) is None  # the ticket is not a token


def test_an_old_ticket_is_refused(session, org):
    session_id, ticket = start_session(session=session, user_id=org.leo.id, hours=12)
    session.execute(
        update(SignInSession)
        .where(SignInSession.id == session_id)
        .values(ticket_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    assert redeem_ticket(session=session, ticket=ticket) is None


def test_sign_out_expiry_and_deactivation_each_end_the_session(session, org):
    tokens = []
    for _ in range(3):
        session_id, ticket = start_session(session=session, user_id=org.leo.id, hours=12)
        token, _ = redeem_ticket(session=session, ticket=ticket) or ("", None)
        tokens.append((session_id, token))

    (signed_out, token_1), (expired, token_2), (kept, token_3) = tokens
    end_session(session=session, token=token_1)
    session.execute(update(SignInSession).where(SignInSession.id == expired).values(expires_at=datetime.now(UTC)))
    assert user_for_token(session=session, token=token_1) is None and not session_is_live(
        session=session, session_id=signed_out
    )
    assert user_for_token(session=session, token=token_2) is None and not session_is_live(
        session=session, session_id=expired
    )
    assert user_for_token(session=session, token=token_3) is not None and session_is_live(
        session=session, session_id=kept
    )

    session.execute(update(User).where(User.id == org.leo.id).values(is_active=False))
    assert user_for_token(session=session, token=token_3) is None
    assert not session_is_live(session=session, session_id=kept)


def test_the_cookie_value_is_signed_with_the_secret():
    value = sign_token("abc", "secret-1")
    assert unsign_token(value, "secret-1") == "abc"
    assert unsign_token(value, "secret-2") is None
    assert unsign_token("abc." + value.rsplit(".", 1)[1][:-1] + "A", "secret-1") is None
    assert unsign_token("no-signature", "secret-1") is None
