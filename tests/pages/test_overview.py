"""Overview page: KPI cards with change against the previous period, freshness, empty and missing warehouse."""

from __future__ import annotations

import pytest

from tests.pages.dashboard_support import ANALYST, Q1, open_page, texts, tiny_warehouse


@pytest.fixture(autouse=True)
def _warehouse(tmp_path, monkeypatch):
    return tiny_warehouse(tmp_path, monkeypatch)


def test_overview_shows_kpis_with_deltas_and_data_as_of():
    at = open_page("overview", params={"from": "2026-03-01", "to": "2026-03-31"})
    assert not at.exception
    metrics = {m.label: m for m in at.metric}
    assert metrics["Open pipeline"].value == "$9,500"
    assert metrics["Open pipeline"].delta == "-$500"
    assert metrics["Win rate"].value == "50.0%"
    assert "Data as of" in texts(at)
    assert "Sales velocity: $38 per day = 3 open deals × 50.0% win rate" in texts(at)


def test_overview_without_a_warehouse_says_to_run_the_etl(monkeypatch, tmp_path):
    from core.settings import get_settings

    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "nothing-here.duckdb"))
    get_settings.cache_clear()
    at = open_page("overview", user=ANALYST, params=Q1)
    assert not at.exception
    assert "python -m etl refresh" in texts(at)


def test_overview_with_no_open_deals_in_filters_says_what_to_do():
    at = open_page("overview", params={**Q1, "owner": "bob", "source": "web"})
    assert not at.exception
    assert "No open opportunities in these filters" in texts(at)


def test_choosing_records_behind_the_kpis_lists_them():
    at = open_page("overview", params={"from": "2026-03-01", "to": "2026-03-31"})
    at.selectbox(key="overview_rec").select("Deals won in range").run()
    assert not at.exception
    won = next(df.value for df in at.dataframe if "opportunity_id" in df.value.columns)
    assert list(won["opportunity_id"]) == ["o1"]


def test_overview_warns_when_the_warehouse_is_older_than_twice_the_schedule(tmp_path, monkeypatch):
    import datetime as dt

    import streamlit as st

    from core.settings import get_settings
    from tests.analytics.tiny_warehouse import build_warehouse

    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    monkeypatch.setenv("WAREHOUSE_PATH", str(build_warehouse(tmp_path / "old.duckdb", snapshot_at=old)))
    monkeypatch.setenv("ETL_EVERY", "1h")
    get_settings.cache_clear()
    st.cache_data.clear()
    at = open_page("overview", params=Q1)
    assert not at.exception
    assert "Data as of" in texts(at)
    assert "Numbers are 180 minutes old" not in texts(at)
    assert "Numbers are 3 hours old; the automatic refresh has not run since" in texts(at)
    assert "your administrator has been alerted" in texts(at) and "python -m etl" not in texts(at)
