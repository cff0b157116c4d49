"""The sign-in form ("Email", "Password", "Sign in") and the sign-out button."""

from __future__ import annotations

import streamlit as st

from core.settings import get_settings
from core.version import __version__
from crm.actors import actor_from_user
from crm.errors import DomainError
from crm.sessions import start_session
from crm.users import authenticate
from ui.resources import sessions
from ui.session import forget, remember


def sign_in_form() -> None:
    """Render the sign-in form; on success remember the user and rerun."""
    st.title("Sales System")
    st.caption("Sign in to see your pipeline.")
    with st.form("sign_in", clear_on_submit=False):
        email = st.text_input("Email", key="signin_email")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    st.caption(f"Sales System v{__version__}")
    if not submitted:
        return
    try:
        with sessions().begin() as session:
            user = authenticate(session=session, email=email, password=password)
            snapshot = actor_from_user(user)
            session_id, ticket = start_session(session=session, user_id=user.id, hours=get_settings().session_hours)
    except DomainError as exc:
        st.error(str(exc))
        return
    remember(snapshot, session_id=session_id, ticket=ticket)
    st.rerun()


def sign_out_button() -> None:
    """A sidebar button that signs the user out everywhere this session reached (reloads, other tabs)."""
    st.sidebar.button("Sign out", key="sign_out", on_click=forget)
