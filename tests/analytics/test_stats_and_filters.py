"""Wilson intervals, the shared metric filter, visibility scopes and the filter choices."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analytics.dimensions import filter_options, visible_owner_ids
from analytics.filters import MetricFilter
from analytics.stats import wilson_interval, with_rate
from crm.actors import Actor


def test_wilson_interval_matches_the_textbook_values():
    assert wilson_interval(2, 3) == pytest.approx((0.2077, 0.9385), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(0, 0) == (None, None)


def test_with_rate_adds_rate_interval_and_small_sample_flag():
    frame = with_rate(pl.DataFrame({"k": [2, 0, 600], "n": [3, 0, 1000]}), successes="k", trials="n", name="r")
    assert frame["r"].to_list() == [pytest.approx(2 / 3), None, 0.6]
    assert frame["r_low"][0] == pytest.approx(wilson_interval(2, 3)[0])
    assert frame["r_high"][2] == pytest.approx(wilson_interval(600, 1000)[1])
    assert frame["r_small_sample"].to_list() == [True, True, False]


def test_filter_round_trips_through_its_key_and_builds_a_previous_period():
    f = MetricFilter(
        start_on=dt.date(2026, 3, 1), end_on=dt.date(2026, 3, 31), team_ids=["t1"], visible_owner_ids=["a"]
    )
    assert MetricFilter.from_key(f.to_key()) == f
    assert f.days == 31
    before = f.previous_period()
    assert (before.start_on, before.end_on) == (dt.date(2026, 1, 29), dt.date(2026, 2, 28))


def test_filter_refuses_a_reversed_range():
    with pytest.raises(ValueError, match="start_on"):
        MetricFilter(start_on=dt.date(2026, 3, 2), end_on=dt.date(2026, 3, 1))


def _actor(uid: str, role: str, team: str | None = None) -> Actor:
    return Actor(id=uid, email=f"{uid}@example.com", name=uid, role=role, team_id=team)


def test_visible_owners_rep_self_manager_team_analyst_everyone(tiny):
    assert visible_owner_ids(_actor("ann", "rep", "t1"), con=tiny) == ("ann",)
    assert visible_owner_ids(_actor("mia", "manager", "t1"), con=tiny) == ("ann", "bob", "mia")
    assert visible_owner_ids(_actor("zed", "analyst"), con=tiny) is None
    assert visible_owner_ids(_actor("root", "admin"), con=tiny) is None


def test_filter_options_list_choices_within_the_visible_owners(tiny):
    options = filter_options(("ann", "bob"), con=tiny)
    assert options["owners"]["label"].to_list() == ["Ann Able", "Bob Baker"]
    assert options["sources"]["id"].to_list() == ["event", "referral", "web"]
    assert options["teams"]["label"].to_list() == ["East Team", "West Team"]
