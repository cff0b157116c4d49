"""Widgets shared by record pages: audit trail table, panel toggles, version-checked form state."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import streamlit as st

from crm.audit import audit_trail
from ui.calls import fetch
from ui.format import moment


def audit_table(entity_type: str, entity_id: uuid.UUID) -> None:
    """A toggle that shows the record's audit trail (who changed what, when), newest first.

    Off by default: the raw field values would repeat the record's status or stage on the page.
    """
    if not st.toggle("Show the audit trail (who changed what, when)", key=f"show_audit_{entity_type}"):
        return
    entries = fetch(audit_trail, entity_type=entity_type, entity_id=entity_id)
    if not entries:
        st.caption("No recorded changes yet.")
        return
    st.dataframe(
        [
            {
                "When": moment(e.at),
                "Who": e.actor_name,
                "Action": e.action.replace("_", " ").capitalize(),
                "Changes": _changes_text(e.changes),
            }
            for e in reversed(entries)
        ],
        hide_index=True,
        width="stretch",
    )


def _changes_text(changes: dict[str, Any]) -> str:
    parts = []
    for field, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{field}: {_short(value[0])} → {_short(value[1])}")
        else:
            parts.append(f"{field}: {_short(value)}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def follow_record(scope: str, record_id: uuid.UUID) -> None:
    """Close ``scope``'s open panel when the page now shows another record than the one it was opened for."""
    key = f"{scope}_record"
    if st.session_state.get(key) != record_id:
        close_panel(scope)
        st.session_state[key] = record_id


def open_panel(scope: str, name: str, version: int | None = None) -> None:
    """Open one action panel of a record (closing any other) and remember the version it was opened at."""
    st.session_state[f"{scope}_panel"] = name
    st.session_state[f"{scope}_version"] = version


def current_panel(scope: str) -> str | None:
    """The open action panel of ``scope``, if any."""
    return st.session_state.get(f"{scope}_panel")


def opened_version(scope: str, fallback: int) -> int:
    """The record version the open panel was opened at (stale edits are detected against it)."""
    version = st.session_state.get(f"{scope}_version")
    if version is None:
        st.session_state[f"{scope}_version"] = version = fallback
    return version


def close_panel(scope: str) -> None:
    """Close the open action panel of ``scope``."""
    st.session_state.pop(f"{scope}_panel", None)
    st.session_state.pop(f"{scope}_version", None)


def reloader(scope: str, widget_prefix: str) -> Callable[[], None]:
    """A callback that resets an open panel's form to the record as it is now (after a stale edit)."""

    def reload() -> None:
        for key in [k for k in st.session_state if str(k).startswith(widget_prefix)]:
            del st.session_state[key]
        st.session_state[f"{scope}_version"] = None

    return reload


def panel_buttons(scope: str, buttons: list[tuple[str, str, bool, str | None]], version: int) -> None:
    """A row of buttons, each opening one panel: ``(panel, label, enabled, help)``."""
    row = st.container(horizontal=True)
    for panel, label, enabled, help_text in buttons:
        if row.button(label, key=f"{scope}_open_{panel}", disabled=not enabled, help=help_text):
            if current_panel(scope) == panel:
                close_panel(scope)
            else:
                open_panel(scope, panel, version)
            st.rerun()
