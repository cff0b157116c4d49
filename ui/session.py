"""Who is signed in: a small snapshot of the user kept in ``st.session_state``."""

from __future__ import annotations

import streamlit as st

from crm.actors import Actor

SESSION_KEY = "signed_in_user"
CurrentUser = Actor  # pages see the signed-in user as the same value services check


def current_user() -> CurrentUser | None:
    """The signed-in user, or None."""
    return st.session_state.get(SESSION_KEY)


def require_user() -> CurrentUser:
    """The signed-in user; stops the page when nobody is signed in."""
    user = current_user()
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    return user


def remember(user: CurrentUser) -> None:
    """Mark ``user`` as signed in for this browser session."""
    st.session_state[SESSION_KEY] = user


def forget() -> None:
    """Sign out: drop everything this browser session kept."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
