"""How fresh the serving warehouse is: "Data as of … UTC" on every dashboard, and a warning when stale.

The definition (data-as-of time, schedule from ETL_EVERY, stale past twice the schedule) lives in
:func:`etl.status.warehouse_freshness`; this module only caches and shows it.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from etl.status import Freshness, warehouse_freshness
from ui.format import moment

__all__ = ["Freshness", "freshness_caption", "read_freshness"]


def read_freshness(*, now: dt.datetime | None = None) -> Freshness:
    """The serving warehouse's freshness (unknown and stale when it has no successful run)."""
    return warehouse_freshness(now=now)


@st.cache_data(ttl=60, show_spinner=False)
def _cached_freshness(mtime: float) -> Freshness:
    return read_freshness()


def freshness_caption(mtime: float) -> None:
    """Show "Data as of <time> UTC", with a warning when the warehouse has not been refreshed for a while."""
    fresh = _cached_freshness(mtime)
    if fresh.as_of is None:
        st.warning("No successful warehouse refresh is recorded yet: run `python -m etl refresh`.")
        return
    as_of = fresh.as_of.astimezone(dt.UTC)
    st.caption(f"Data as of {moment(as_of)}")
    if fresh.is_stale:
        age = dt.datetime.now(dt.UTC) - as_of
        st.warning(
            f"The dashboards are {_age(age)} behind: the ETL refreshes every {_age(fresh.schedule)} and has not "
            "succeeded since. Check `python -m etl status`."
        )


def _age(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"
