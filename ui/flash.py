"""One-shot messages that survive a page switch (e.g. "Opportunity created successfully")."""

from __future__ import annotations

from typing import Literal

import streamlit as st

_KEY = "_flash_messages"
Kind = Literal["success", "info", "warning", "error"]


def flash(message: str, kind: Kind = "success") -> None:
    """Queue ``message`` to be shown by the next page that calls :func:`show_flashes`."""
    st.session_state.setdefault(_KEY, []).append((kind, message))


def show_flashes() -> None:
    """Show and forget the queued messages."""
    for kind, message in st.session_state.pop(_KEY, []):
        getattr(st, kind)(message)
