"""Team page: leaderboard with attainment, coverage, row-level scope."""

from __future__ import annotations

import pytest

from tests.pages.dashboard_support import Q1, REP_ANN, open_page, texts, tiny_warehouse


@pytest.fixture(autouse=True)
def _warehouse(tmp_path, monkeypatch):
    return tiny_warehouse(tmp_path, monkeypatch)


def _table(at, column):
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_leaderboard_ranks_reps_with_attainment():
    at = open_page("team", params=Q1)
    assert not at.exception
    board = _table(at, "quota_attainment")
    assert list(board["owner_name"]) == ["Ann Able", "Bob Baker", "Cid Cole"]
    assert list(board["quota_attainment"]) == [10.0, 0.0, 0.0]  # shown as percent: 10.0%
    assert at.segmented_control(key="team_view").options == ["Leaderboard", "Coverage", "Time in stage"]


def test_a_rep_sees_only_their_own_row():
    at = open_page("team", user=REP_ANN, params=Q1)
    assert list(_table(at, "quota_attainment")["owner_name"]) == ["Ann Able"]


def test_coverage_for_the_quarter_of_the_end_date():
    at = open_page("team", params={"from": "2026-04-01", "to": "2026-04-15", "view": "Coverage"})
    coverage = _table(at, "coverage")
    assert dict(zip(coverage["key"], coverage["open_amount"], strict=True)) == {"ann": 2000.0, "cid": 5000.0}


def test_time_in_stage_section():
    at = open_page("team", params={**Q1, "view": "Time in stage"})
    durations = _table(at, "p90_days")
    assert list(durations["count_visits"]) == [6, 3, 2, 0]
    assert "Time in stage" in texts(at)


def _pick(at, key, row):
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def test_picking_a_coverage_row_lists_the_open_deals_behind_it():
    at = open_page("team", params={"from": "2026-04-01", "to": "2026-04-15", "view": "Coverage"})
    coverage = _table(at, "coverage")
    row = list(coverage["key"]).index("cid")
    at = _pick(at, "team_coverage", row)
    assert not at.exception
    assert "Open deals of Cid Cole closing 2026-04-01 to 2026-06-30" in texts(at)
    deals = _table(at, "opportunity_id")
    assert deals["amount"].sum() == 5000.0
    assert set(deals["owner_name"]) == {"Cid Cole"}


def test_picking_a_stage_duration_row_lists_its_visits():
    at = _pick(open_page("team", params={**Q1, "view": "Time in stage"}), "team_durations_table", 0)
    assert not at.exception
    assert "Visits to Prospecting that ended in the range" in texts(at)
    visits = _table(at, "entered_at")
    assert len(visits) == 6
    assert set(visits["stage"]) == {"Prospecting"}
