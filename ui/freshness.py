"""How fresh the serving warehouse is: "Data as of … UTC" on every dashboard, and a warning when stale."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import streamlit as st

from core.warehouse import read_rows
from ui.format import moment

ETL_EVERY = dt.timedelta(minutes=15)
STALE_AFTER = 2 * ETL_EVERY


@dataclass(frozen=True)
class Freshness:
    """The newest successful refresh: the source's clock at extraction ("data as of") and when it finished."""

    data_as_of: dt.datetime | None
    finished_at: dt.datetime | None

    def is_stale(self, now: dt.datetime | None = None) -> bool:
        """True when the data is older than two ETL intervals (or unknown)."""
        if self.data_as_of is None:
            return True
        return (now or dt.datetime.now(dt.UTC)) - self.data_as_of > STALE_AFTER


def read_freshness() -> Freshness:
    """Read the run log (``etl_runs``) of the serving warehouse (unknown when it has none)."""
    try:
        rows = read_rows(
            "SELECT arg_max(source_snapshot_at, finished_at), max(finished_at) FROM etl_runs WHERE status = 'success'"
        )
    except duckdb.Error:
        return Freshness(data_as_of=None, finished_at=None)
    as_of, finished = rows[0] if rows else (None, None)
    return Freshness(data_as_of=_utc(as_of), finished_at=_utc(finished))


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@st.cache_data(ttl=60, show_spinner=False)
def _cached_freshness(mtime: float) -> Freshness:
    return read_freshness()


def freshness_caption(mtime: float) -> None:
    """Show "Data as of <time> UTC", with a warning when the warehouse has not been refreshed for a while."""
    fresh = _cached_freshness(mtime)
    if fresh.data_as_of is None:
        st.warning("No successful warehouse refresh is recorded yet: run `python -m etl refresh`.")
        return
    st.caption(f"Data as of {moment(fresh.data_as_of)}")
    if fresh.is_stale():
        age = dt.datetime.now(dt.UTC) - fresh.data_as_of
        st.warning(
            f"The dashboards are {_age(age)} behind: the ETL refreshes every 15 minutes and has not succeeded "
            "since. Check `python -m etl status`."
        )


def _age(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"
