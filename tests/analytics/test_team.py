"""Rep leaderboard with prorated quota attainment, and pipeline coverage against quota, by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.filters import MetricFilter
from analytics.team import pipeline_coverage, quarter_bounds, rep_leaderboard

Q1 = MetricFilter(start_on=dt.date(2026, 1, 1), end_on=dt.date(2026, 3, 31))


def test_quarter_bounds():
    assert quarter_bounds(dt.date(2026, 11, 30)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_bounds(dt.date(2026, 2, 28)) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def test_leaderboard_ranks_reps_by_won_amount_with_attainment(tiny):
    frame = rep_leaderboard(Q1, con=tiny)
    assert frame.select("owner_id", "rank", "won_amount", "count_closed", "quota", "quota_attainment").rows() == [
        ("ann", 1, 1000.0, 2, 10000.0, 0.1),
        ("bob", 2, 0.0, 1, 6000.0, 0.0),
        ("cid", 2, 0.0, 0, 5000.0, 0.0),
    ]
    assert frame.filter(owner_id="ann")["win_rate"][0] == 0.5
    assert frame.filter(owner_id="cid")["win_rate"][0] is None


def test_leaderboard_prorates_quarterly_quota_to_the_range(tiny):
    february = MetricFilter(start_on=dt.date(2026, 2, 1), end_on=dt.date(2026, 2, 28))
    ann = rep_leaderboard(february, con=tiny).filter(owner_id="ann").row(0, named=True)
    assert ann["quota"] == pytest.approx(10000 * 28 / 90)


def test_leaderboard_respects_team_filter_and_visibility(tiny):
    assert rep_leaderboard(MetricFilter(team_ids=("t1",)), con=tiny)["owner_id"].to_list() == ["ann", "bob"]
    assert rep_leaderboard(MetricFilter(visible_owner_ids=("bob",)), con=tiny)["owner_id"].to_list() == ["bob"]


def test_coverage_is_open_pipeline_closing_in_quarter_over_remaining_quota(tiny):
    frame = pipeline_coverage(quarter_of=dt.date(2026, 4, 15), con=tiny)
    rows = {r["key"]: r for r in frame.iter_rows(named=True)}
    assert set(rows) == {"ann", "cid"}  # bob has no quota, no win and only a zero-amount deal
    assert rows["ann"]["coverage"] == pytest.approx(2000 / 12000)
    assert rows["cid"]["won_amount"] == 2500.0
    assert rows["cid"]["coverage"] is None  # no quota left to cover


def test_coverage_by_team(tiny):
    frame = pipeline_coverage(quarter_of=dt.date(2026, 4, 15), by="team", con=tiny)
    assert frame.select("label", "quota", "open_amount").rows() == [
        ("East Team", 12000.0, 2000.0),
        ("West Team", 0.0, 5000.0),
    ]


def test_no_data_gives_empty_tables(empty):
    assert rep_leaderboard(Q1, con=empty).is_empty()
    assert pipeline_coverage(Q1, con=empty).is_empty()
