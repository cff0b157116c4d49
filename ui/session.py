"""Who is signed in: a small snapshot of the user kept in ``st.session_state``, backed by a cookie session.

A sign-in starts a server-side session (``crm.sessions``); the browser holds it as an http-only,
signed cookie (set by ``POST /session/open``, see ``ui/session_routes.py``), so a reload or a new tab
signs the same person in again until ``SESSION_HOURS`` pass or they sign out.
"""

from __future__ import annotations

import json
import uuid

import streamlit as st

from core.settings import get_settings
from crm.actors import Actor, actor_from_user
from crm.sessions import end_session, session_is_live, unsign_token, user_for_token
from ui.resources import sessions
from ui.session_routes import COOKIE_NAME

SESSION_KEY = "signed_in_user"
SESSION_ID_KEY = "signed_in_session_id"
TICKET_KEY = "session_ticket"  # a one-time ticket the browser still has to exchange for the cookie
CLOSE_KEY = "session_cookie_to_clear"

CurrentUser = Actor  # pages see the signed-in user as the same value services check


def current_user() -> CurrentUser | None:
    """The signed-in user (from this browser session, else from a live session cookie), or None."""
    user: CurrentUser | None = st.session_state.get(SESSION_KEY)
    session_id: uuid.UUID | None = st.session_state.get(SESSION_ID_KEY)
    if user is not None:
        if session_id is not None and not _live(session_id):  # signed out elsewhere, expired or deactivated
            forget()
            return None
        return user
    return _from_cookie()


def _live(session_id: uuid.UUID) -> bool:
    with sessions().begin() as session:
        return session_is_live(session=session, session_id=session_id)


def _from_cookie() -> CurrentUser | None:
    value = st.context.cookies.get(COOKIE_NAME)
    token = unsign_token(value, get_settings().secret_key) if isinstance(value, str) and value else None
    if token is None:
        return None
    with sessions().begin() as session:
        found = user_for_token(session=session, token=token)
        if found is None:
            return None
        session_id, user = found
        snapshot = actor_from_user(user)
    remember(snapshot, session_id=session_id)
    return snapshot


def require_user() -> CurrentUser:
    """The signed-in user; stops the page when nobody is signed in."""
    user = current_user()
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    return user


def remember(user: CurrentUser, *, session_id: uuid.UUID | None = None, ticket: str | None = None) -> None:
    """Mark ``user`` as signed in (with their server-side session and, after a sign-in, the cookie ticket)."""
    st.session_state[SESSION_KEY] = user
    if session_id is not None:
        st.session_state[SESSION_ID_KEY] = session_id
    if ticket is not None:
        st.session_state[TICKET_KEY] = ticket


def forget() -> None:
    """Sign out: end the server-side session and drop everything this browser session kept."""
    session_id = st.session_state.get(SESSION_ID_KEY)
    if session_id is not None:
        with sessions().begin() as session:
            end_session(session=session, session_id=session_id)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if session_id is not None:
        st.session_state[CLOSE_KEY] = True


def sync_session_cookie() -> None:
    """Let the browser set or clear the http-only session cookie (one request to this same server)."""
    ticket = st.session_state.pop(TICKET_KEY, None)
    if ticket is not None:
        _browser_post("/session/open", ticket)
    if st.session_state.pop(CLOSE_KEY, None):
        _browser_post("/session/close", "")


def _browser_post(path: str, body: str) -> None:
    script = (
        f"<script>fetch({json.dumps(path)}, {{method: 'POST', credentials: 'same-origin', "
        f"headers: {{'Content-Type': 'text/plain'}}, body: {json.dumps(body)}}});</script>"
    )
    st.html(script, unsafe_allow_javascript=True, width="content")
