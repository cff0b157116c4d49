"""Keep a page's filter widgets and ``st.query_params`` in step, so a view can be shared as a link."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st


def seed(key: str, param: str, parse: Callable[[str], Any], default: Any, allowed: Iterable[Any] | None = None) -> None:
    """Give widget ``key`` its starting value from query param ``param`` (once, before the widget is drawn)."""
    if key in st.session_state:
        return
    value = default
    raw = st.query_params.get(param)
    if raw not in (None, ""):
        try:
            value = parse(raw)
        except (TypeError, ValueError):
            value = default
    if allowed is not None and value not in list(allowed):
        value = default
    st.session_state[key] = value


def publish(params: dict[str, Any], *, keep: Iterable[str] = ()) -> None:
    """Replace the URL's query params with ``params`` (empty values dropped), keeping the names in ``keep``."""
    wanted = {name: str(value) for name, value in params.items() if value not in (None, "", [])}
    for name in keep:
        if name in st.query_params and name not in wanted:
            wanted[name] = st.query_params[name]
    current = st.query_params.to_dict()
    if current != wanted:
        st.query_params.from_dict(wanted)
