"""Widgets shared by record pages: audit trail table, panel toggles, version-checked form state."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from crm.audit import audit_trail
from ui.calls import fetch
from ui.format import column_label, moment


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
            parts.append(f"{column_label(field)}: {_short(value[0])} → {_short(value[1])}")
        else:
            parts.append(f"{column_label(field)}: {_short(value)}")
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
    """Close the open action panel of ``scope`` (dropping any unsaved edits kept from a conflict)."""
    st.session_state.pop(f"{scope}_panel", None)
    st.session_state.pop(f"{scope}_version", None)
    st.session_state.pop(f"{scope}_unsaved", None)


def versioned_key(name: str, version: int) -> str:
    """A form widget's key for the record version the form shows.

    A reload after a conflict moves the form to the new version, so every widget is new and shows
    the stored value: the browser cannot send back the stale values it still holds.
    """
    return f"{name}_v{version}"


def widget_default(key: str, **default: Any) -> dict[str, Any]:
    """``key`` plus the default (``value=`` / ``index=``) unless session state already holds the widget's value."""
    return {"key": key} if key in st.session_state else {"key": key, **default}


def form_base(scope: str, record: Any, version: int, fields: tuple[str, ...]) -> dict[str, Any]:
    """The record's values at the version the form was opened at (what "your edits" are measured against)."""
    key = f"{scope}_base"
    kept = st.session_state.get(key)
    if record.version == version or kept is None or kept.get("version") != version:
        kept = {"version": version, "values": {name: getattr(record, name) for name in fields}}
        st.session_state[key] = kept
    return dict(kept["values"])


def reloader(scope: str, widget_prefix: str, unsaved: Mapping[str, Any] | None = None) -> Callable[[], None]:
    """A callback that shows the record as stored now in the open panel (after a stale edit).

    ``unsaved`` (field → the user's value) is kept so the user can re-apply each edit by choice.
    """

    def reload() -> None:
        for key in [k for k in st.session_state if str(k).startswith(widget_prefix)]:
            del st.session_state[key]
        st.session_state[f"{scope}_version"] = None
        if unsaved:
            st.session_state[f"{scope}_unsaved"] = dict(unsaved)

    return reload


def unsaved_edits(
    scope: str,
    *,
    stored: Mapping[str, Any],
    labels: Mapping[str, str],
    widget_key: Callable[[str], str],
    shown: Callable[[str, Any], str],
    same: Callable[[Any, Any], bool],
) -> None:
    """After a conflict and reload: the user's unsaved edits beside the stored values, each with "Use mine".

    The form below shows the stored record; "Use mine" puts the user's value into that form field
    (nothing is saved until the form is saved), so no saved value is lost by accident.
    """
    unsaved: dict[str, Any] = st.session_state.get(f"{scope}_unsaved") or {}
    rows = {name: mine for name, mine in unsaved.items() if name in stored and not same(stored[name], mine)}
    if not rows:
        st.session_state.pop(f"{scope}_unsaved", None)
        return
    with st.container(border=True, key=f"{scope}_unsaved_edits"):
        st.markdown("**Your unsaved edits**")
        st.caption(
            "Someone saved this record while you were editing. The form below shows what is stored now. "
            'Choose "Use mine" for each of your edits you still want, then save.'
        )
        for name, mine in rows.items():
            label = labels.get(name, name)
            c1, c2, c3, c4 = st.columns([2, 3, 3, 2], vertical_alignment="center")
            c1.markdown(f"**{label}**")
            c2.markdown(f"Stored: {shown(name, stored[name])}")
            c3.markdown(f"Yours: {shown(name, mine)}")
            if same(st.session_state.get(widget_key(name)), mine):
                c4.caption("Yours is in the form")
                continue
            c4.button(
                "Use mine",
                key=f"{scope}_use_mine_{name}",
                help=f"Put your {label.lower()} back into the form",
                on_click=_use_mine,
                args=(widget_key(name), mine),
            )
        st.button("Discard my edits", key=f"{scope}_discard_unsaved", on_click=_discard, args=(scope,))


def _discard(scope: str) -> None:
    st.session_state.pop(f"{scope}_unsaved", None)


def _use_mine(key: str, value: Any) -> None:
    st.session_state[key] = value


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
