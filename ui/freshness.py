"""How fresh the serving warehouse is: "Data as of … UTC" on every dashboard, and a banner when stale.

The definition (data-as-of time, schedule from ETL_EVERY, stale past twice the schedule, failing since)
lives in :func:`etl.status.warehouse_freshness`; this module only caches it and words it for a manager.
Operator detail (the exception, the command to run) stays in the scheduler's logs and
``python -m etl status``: the page says what the numbers are worth and that someone is on it.
"""

from __future__ import annotations

import datetime as dt
import logging

import streamlit as st

from etl.status import Freshness, warehouse_freshness
from ui.format import moment

__all__ = ["Freshness", "freshness_caption", "freshness_message", "read_freshness"]

log = logging.getLogger(__name__)


def read_freshness(*, now: dt.datetime | None = None) -> Freshness:
    """The serving warehouse's freshness (unknown and stale when it has no successful run)."""
    return warehouse_freshness(now=now)


@st.cache_data(ttl=60, show_spinner=False)
def _cached_freshness(mtime: float) -> Freshness:
    return read_freshness()


def freshness_message(fresh: Freshness, *, now: dt.datetime | None = None) -> str | None:
    """The banner a manager reads when the numbers are stale (None when they are fresh enough)."""
    now = now or dt.datetime.now(dt.UTC)
    if fresh.as_of is None:
        return (
            "There are no numbers yet: the first refresh of the dashboards has not finished. "
            "If this lasts more than a few minutes, tell your administrator."
        )
    if not fresh.is_stale:
        return None
    age = _age(now - fresh.as_of)
    if fresh.failing_since is not None:
        why = f"the automatic refresh has failed since {_when(fresh.failing_since, now)}"
    else:
        why = f"the automatic refresh has not run since {_when(fresh.as_of, now)}"
    return f"Numbers are {age} old; {why}; your administrator has been alerted."


def freshness_caption(mtime: float) -> None:
    """Show "Data as of <time> UTC", with a banner for a manager when the numbers are stale."""
    fresh = _cached_freshness(mtime)
    message = freshness_message(fresh)
    if fresh.as_of is not None:
        st.caption(f"Data as of {moment(fresh.as_of.astimezone(dt.UTC))}")
    if message is not None:
        log.warning("stale dashboards shown: %s (details: python -m etl status)", fresh.label())
        st.warning(message)


def _when(moment_: dt.datetime, now: dt.datetime) -> str:
    """``14:05 UTC`` today, ``yesterday 14:05 UTC``, else ``2026-11-28 14:05 UTC``."""
    moment_, now = moment_.astimezone(dt.UTC), now.astimezone(dt.UTC)
    if moment_.date() == now.date():
        return f"{moment_:%H:%M} UTC"
    if moment_.date() == now.date() - dt.timedelta(days=1):
        return f"yesterday {moment_:%H:%M} UTC"
    return f"{moment_:%Y-%m-%d %H:%M} UTC"


def _age(delta: dt.timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 120:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"
