"""The dashboard filter panel (date range, territory, team, owner, source), kept in the URL query params.

A copied link opens the same view: the page reads its filter from ``st.query_params``; the panel is a
fragment that writes changed values back to the URL and reruns the page. Defaults are left out of the URL.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import streamlit as st

from analytics.dimensions import visible_owner_ids
from analytics.filters import MetricFilter
from crm.actors import Actor
from ui.dashboards import require_warehouse

DEFAULT_DAYS = 90
LIST_PARAMS = {"territory": "territory_ids", "team": "team_ids", "owner": "owner_ids", "source": "sources"}
LABELS = {"territory": "Territory", "team": "Team", "owner": "Owner", "source": "Source"}
OPTION_SETS = {"territory": "territories", "team": "teams", "owner": "owners", "source": "sources"}


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 90 days up to today (UTC)."""
    today = today or dt.datetime.now(dt.UTC).date()
    return today - dt.timedelta(days=DEFAULT_DAYS - 1), today


def _date(raw: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


def _list(raw: str | None) -> tuple[str, ...]:
    return tuple(v for v in (raw or "").split(",") if v)


@st.cache_data(ttl=60, show_spinner=False)
def _visible(user_id: str, role: str, team_id: str | None, mtime: float) -> str:
    viewer = Actor(id=user_id, email="", name="", role=role, team_id=team_id)
    return json.dumps(visible_owner_ids(viewer))


def visible_owners(user: Actor, warehouse_time: float) -> tuple[str, ...] | None:
    """The owners whose numbers ``user`` may see on dashboards (None = everyone)."""
    visible = json.loads(_visible(str(user.id), user.role, str(user.team_id) if user.team_id else None, warehouse_time))
    return None if visible is None else tuple(visible)


def current_filters(user: Actor) -> MetricFilter:
    """The filter in the URL, narrowed to the owners ``user`` may see."""
    visible = visible_owners(user, require_warehouse())
    start_default, end_default = default_range()
    start = _date(st.query_params.get("from"), start_default)
    end = _date(st.query_params.get("to"), end_default)
    if start > end:
        start, end = end, start
    lists = {field: _list(st.query_params.get(param)) for param, field in LIST_PARAMS.items()}
    return MetricFilter(start_on=start, end_on=end, visible_owner_ids=visible, **lists)


def _seed(filters: MetricFilter) -> None:
    if "flt_dates" not in st.session_state:
        st.session_state["flt_dates"] = (filters.start_on, filters.end_on)
    for param, field in LIST_PARAMS.items():
        if f"flt_{param}" not in st.session_state:
            st.session_state[f"flt_{param}"] = list(getattr(filters, field))


def _wanted_params() -> dict[str, str]:
    wanted: dict[str, str] = {}
    dates = st.session_state.get("flt_dates") or ()
    if len(dates) == 2:
        start_default, end_default = default_range()
        if dates[0] != start_default or dates[1] != end_default:
            wanted["from"], wanted["to"] = dates[0].isoformat(), dates[1].isoformat()
    for param in LIST_PARAMS:
        values = st.session_state.get(f"flt_{param}") or []
        if values:
            wanted[param] = ",".join(values)
    return wanted


def filter_summary(filters: MetricFilter) -> str:
    """The filter in a few words, for the collapsed panel's label: "2026-09-05 – 2026-12-03 · 2 owners"."""
    parts = [f"{filters.start_on.isoformat()} – {filters.end_on.isoformat()}"]
    for param, field in LIST_PARAMS.items():
        chosen = len(getattr(filters, field))
        if chosen:
            noun = LABELS[param].lower()
            parts.append(f"{chosen} {noun if chosen == 1 else noun + 's'}")
    return " · ".join(parts)


@st.fragment
def filter_panel(filters: MetricFilter, options: dict[str, pl.DataFrame]) -> None:
    """Date range and segment pickers in a panel (its label sums them up) that starts collapsed, so a
    phone's first screen shows the numbers, unless the URL carries segment filters (a shared view shows
    them); a change updates the URL and reruns the page."""
    _seed(filters)
    chosen = any(getattr(filters, field) for field in LIST_PARAMS.values())  # a shared view shows its filters
    with st.expander(
        f"Filters: {filter_summary(filters)}", expanded=chosen, key="flt_panel", icon=":material/filter_list:"
    ):
        columns = st.columns([2, 1, 1, 1, 1])
        columns[0].date_input("Date range", key="flt_dates", format="YYYY-MM-DD")
        for column, param in zip(columns[1:], LIST_PARAMS, strict=True):
            frame = options[OPTION_SETS[param]]
            labels = dict(zip(frame["id"].to_list(), frame["label"].to_list(), strict=True))
            chosen = [v for v in st.session_state.get(f"flt_{param}", []) if v in labels]
            st.session_state[f"flt_{param}"] = chosen
            column.multiselect(
                LABELS[param],
                options=list(labels),
                format_func=lambda v, labels=labels: labels.get(v, v),
                key=f"flt_{param}",
                placeholder="All",
            )
    wanted = _wanted_params()
    current = {k: v for k, v in st.query_params.to_dict().items() if k in ("from", "to", *LIST_PARAMS)}
    if wanted != current:
        others = {k: v for k, v in st.query_params.to_dict().items() if k not in ("from", "to", *LIST_PARAMS)}
        st.query_params.from_dict({**others, **wanted})
        st.rerun()
