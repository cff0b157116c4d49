"""Pipeline page: totals, filters in the URL, row-level scope, waterfall and stale deals."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.pages.dashboard_support import Q1, REP_ANN, open_page, texts, tiny_warehouse


@pytest.fixture(autouse=True)
def _warehouse(tmp_path, monkeypatch):
    return tiny_warehouse(tmp_path, monkeypatch)


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_pipeline_shows_open_pipeline_totals_for_everyone_to_an_analyst():
    at = open_page("pipeline", params=Q1)
    assert not at.exception
    assert _metrics(at) == {"Open pipeline": "$7,000", "Weighted pipeline": "$5,000", "Open deals": "3"}
    assert at.segmented_control(key="pipeline_view").options == ["Now", "Trend", "Changes", "Stale deals"]


def test_a_team_filter_in_the_url_narrows_the_page():
    at = open_page("pipeline", params={**Q1, "team": "t2"})
    assert _metrics(at)["Open pipeline"] == "$5,000"
    assert at.multiselect(key="flt_team").value == ["t2"]


def test_changing_a_filter_writes_it_to_the_url():
    at = open_page("pipeline", params=Q1)
    at.multiselect(key="flt_territory").select("e").run()
    assert at.query_params["territory"] == "e"
    assert _metrics(at)["Open pipeline"] == "$2,000"


def test_a_rep_sees_only_their_own_pipeline():
    at = open_page("pipeline", user=REP_ANN, params=Q1)
    assert _metrics(at)["Open pipeline"] == "$2,000"
    assert "your own deals" in texts(at)


def test_waterfall_table_lists_each_change_step():
    at = open_page("pipeline", params={"from": "2026-02-28", "to": "2026-03-31", "view": "Changes"})
    assert not at.exception
    summary = next(df.value for df in at.dataframe if "step" in df.value.columns)
    assert list(summary["step"]) == [
        "Start",
        "New",
        "Increased",
        "Decreased",
        "Won",
        "Lost",
        "End",
        "Close date pulled in",
        "Close date pushed out",
    ]
    assert list(summary["amount"])[:7] == [10000.0, 0.0, 1000.0, -500.0, -1000.0, 0.0, 9500.0]


def test_reversed_change_dates_are_explained_not_a_traceback():
    at = open_page("pipeline", params={**Q1, "view": "Changes"})
    at.date_input(key="pipeline_from_day").set_value(dt.date(2026, 4, 10)).run()
    assert not at.exception
    assert "must be before" in texts(at)


def test_the_section_lives_in_the_url():
    at = open_page("pipeline", params=Q1)
    at.segmented_control(key="pipeline_view").set_value("Stale deals").run()
    assert at.query_params["view"] == "Stale deals"
    assert "Stale deals" in [s.value for s in at.subheader]
    linked = open_page("pipeline", params={**Q1, "view": "Trend"})
    assert [s.value for s in linked.subheader] == ["Trend"]


def test_a_warehouse_without_a_mart_asks_for_a_full_refresh(_warehouse):
    import duckdb

    with duckdb.connect(str(_warehouse)) as con:
        con.execute("DROP TABLE pipeline_daily")
    at = open_page("pipeline", params={**Q1, "view": "Trend"})
    assert not at.exception
    assert "python -m etl refresh --full" in texts(at)


def test_picking_a_trend_row_lists_the_deals_open_that_day():
    at = open_page("pipeline", params={"from": "2026-02-28", "to": "2026-02-28", "view": "Trend"})
    trend = next(df.value for df in at.dataframe if "snapshot_on" in df.value.columns)
    at.session_state["pipeline_trend_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    stage = trend["stage"][0]
    assert f"Deals open at the end of 2026-02-28 in {stage}" in texts(at)
    deals = next(df.value for df in at.dataframe if "opportunity_id" in df.value.columns)
    assert deals["amount"].sum() == trend["amount"][0]


def test_the_trend_says_it_ignores_a_source_filter():
    with_source = open_page("pipeline", params={**Q1, "view": "Trend", "source": "web"})
    without = open_page("pipeline", params={**Q1, "view": "Trend"})
    assert not with_source.exception and not without.exception
    note = "The trend ignores the Source filter"
    assert any(note in c.value for c in with_source.caption)
    assert not any(note in c.value for c in without.caption)
