"""Conversion page: conversion by segment with sample sizes, cohort curves, funnel, empty ranges."""

from __future__ import annotations

import pytest

from tests.pages.dashboard_support import Q1, open_page, texts, tiny_warehouse


@pytest.fixture(autouse=True)
def _warehouse(tmp_path, monkeypatch):
    return tiny_warehouse(tmp_path, monkeypatch)


def _table(at, column):
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_conversion_by_source_table_with_counts_and_intervals():
    at = open_page("conversion", params=Q1)
    assert not at.exception
    table = _table(at, "conversion_rate_low")
    assert dict(zip(table["key"], table["count_leads"], strict=True)) == {"web": 3, "event": 2, "referral": 1}
    assert at.segmented_control(key="conversion_view").options == ["By segment", "Cohorts", "Funnel", "Win rate"]
    assert "n = 3 converted leads" in texts(at)


def test_switching_the_segment_to_cohort_month():
    at = open_page("conversion", params=Q1)
    at.segmented_control(key="conversion_dimension").set_value("cohort_month").run()
    assert not at.exception
    table = _table(at, "conversion_rate_low")
    assert list(table["key"]) == ["2026-02", "2026-01", "2026-03"]


def test_an_empty_range_says_to_widen_the_dates():
    at = open_page("conversion", params={"from": "2020-01-01", "to": "2020-01-31"})
    assert not at.exception
    assert "No leads created in this range — widen the dates" in texts(at)


def test_cohort_and_funnel_sections_from_the_url():
    cohorts = open_page("conversion", params={**Q1, "view": "Cohorts"})
    assert not cohorts.exception
    curves = _table(cohorts, "months_since_created")
    assert list(curves["cohort_month"].unique()) == ["2026-01", "2026-02", "2026-03"]
    assert list(curves[curves["cohort_month"] == "2026-02"]["count_converted"])[:2] == [1, 2]
    funnel = open_page("conversion", params={**Q1, "view": "Funnel"})
    assert list(_table(funnel, "count_reached")["count_reached"]) == [7, 5, 4, 3, 2]
    wins = open_page("conversion", params={**Q1, "view": "Win rate"})
    assert list(_table(wins, "lost_reason")["lost_reason"]) == ["Price", "Timing"]
