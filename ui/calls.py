"""Calling ``crm`` services from pages: one transaction per call, domain errors shown as ``st.error``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from crm.errors import DomainError, StaleRecord, ValidationFailed
from ui.resources import sessions

T = TypeVar("T")


def describe(exc: DomainError, labels: Mapping[str, str] | None = None) -> str:
    """The message for ``exc``, with field names replaced by the form labels people see."""
    labels = labels or {}
    if isinstance(exc, ValidationFailed) and exc.errors:
        return "; ".join(f"{labels.get(field, field)}: {problem}" for field, problem in exc.errors)
    return str(exc)


def perform(
    fn: Callable[..., T],
    /,
    *,
    labels: Mapping[str, str] | None = None,
    on_stale: Callable[[], None] | None = None,
    **kwargs: Any,
) -> T | None:
    """Run one write service in its own transaction; show its DomainError and return None on failure.

    A stale edit shows the service's "changed by X at T — reload" message and a "Reload" button
    that runs ``on_stale`` (which should reset the form to the record as it is now).
    """
    try:
        with sessions().begin() as session:
            return _loaded(session, fn(session=session, **kwargs))
    except StaleRecord as exc:
        st.error(str(exc))
        if on_stale is not None:
            st.button("Reload", key="reload_stale_record", on_click=on_stale, icon=":material/refresh:")
        return None
    except DomainError as exc:
        st.error(describe(exc, labels))
        return None


def fetch(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run one read service; on a DomainError (not found, permission denied) show it and stop the page."""
    try:
        with sessions().begin() as session:
            return _loaded(session, fn(session=session, **kwargs))
    except DomainError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() raises


def _loaded(session: Session, result: T) -> T:
    """Reload a returned ORM row so trigger-kept columns (version, updated_at) are readable after commit."""
    state = sa_inspect(result, raiseerr=False)
    if state is not None and getattr(state, "persistent", False):
        session.flush()
        session.refresh(result)
    return result
