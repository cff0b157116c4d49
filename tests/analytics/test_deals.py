"""Win rate, deal size, sales cycle, velocity, stage durations, stale deals and lost reasons, by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.deals import (
    average_deal_size,
    lost_reasons,
    sales_cycle_length,
    sales_velocity,
    stage_duration,
    stage_p90_days,
    stale_deals,
    win_rate,
)
from analytics.filters import MetricFilter
from tests.analytics.tiny_warehouse import build_warehouse

Q1 = MetricFilter(start_on=dt.date(2026, 1, 1), end_on=dt.date(2026, 3, 31))
APRIL = MetricFilter(start_on=dt.date(2026, 4, 1), end_on=dt.date(2026, 4, 30))


def test_win_rate_is_won_over_closed_in_range_with_wilson_interval(tiny):
    row = win_rate(Q1, con=tiny).row(0, named=True)
    assert (row["count_won"], row["count_closed"]) == (1, 3)
    assert row["win_rate"] == pytest.approx(1 / 3)
    assert row["win_rate_low"] == pytest.approx(0.0615, abs=1e-4)
    assert row["win_rate_high"] == pytest.approx(0.7923, abs=1e-4)


def test_a_deal_closed_on_31_march_in_los_angeles_counts_in_april_utc(tiny):
    assert win_rate(APRIL, con=tiny)["count_won"][0] == 1
    assert average_deal_size(APRIL, con=tiny)["average_deal_size"][0] == pytest.approx(2500)


def test_win_rate_by_owner(tiny):
    frame = win_rate(Q1, by="owner", con=tiny)
    rates = dict(zip(frame["key"].to_list(), frame["win_rate"].to_list(), strict=True))
    assert rates == {"ann": 0.5, "bob": 0.0}


def test_average_deal_size_and_sales_cycle_of_won_deals(tiny):
    size = average_deal_size(Q1, con=tiny).row(0, named=True)
    assert (size["count_won"], size["won_amount"], size["average_deal_size"]) == (1, 1000.0, 1000.0)
    cycle = sales_cycle_length(Q1, con=tiny).row(0, named=True)
    assert (cycle["median_days"], cycle["p90_days"]) == (pytest.approx(40.0), pytest.approx(40.0))


def test_sales_velocity_multiplies_open_deals_win_rate_and_size_over_cycle(tiny):
    row = sales_velocity(Q1, con=tiny).row(0, named=True)
    assert row["count_open"] == 3
    assert row["sales_velocity_per_day"] == pytest.approx(3 * (1 / 3) * 1000 / 40)


def test_stage_duration_median_and_p90_over_visits_ended_in_range(tiny):
    frame = stage_duration(Q1, con=tiny)
    rows = {r["stage"]: r for r in frame.iter_rows(named=True)}
    assert rows["prospecting"]["count_visits"] == 6
    assert rows["prospecting"]["median_days"] == pytest.approx(13.0)
    assert rows["prospecting"]["p90_days"] == pytest.approx(20.5)
    assert rows["discovery"]["p90_days"] == pytest.approx(15.6)
    assert rows["proposal"]["median_days"] == pytest.approx(16.0)
    # The only finished negotiation ended on 1 April UTC, outside the range.
    assert rows["negotiation"]["count_visits"] == 0
    assert rows["negotiation"]["median_days"] is None


def test_stale_deals_are_open_deals_beyond_their_stage_p90(tiny):
    frame = stale_deals(as_of=dt.datetime(2026, 3, 25, tzinfo=dt.UTC), con=tiny)
    assert frame["opportunity_id"].to_list() == ["o6", "o4"]  # 52 of 27.2 days, then 24 of 18.4
    assert frame.filter(opportunity_id="o4")["days_in_stage"][0] == pytest.approx(24.0)


def test_lost_reasons_with_counts_amounts_and_shares(tiny):
    frame = lost_reasons(Q1, con=tiny)
    assert frame.select("lost_reason", "count_lost", "lost_amount", "share").rows() == [
        ("price", 1, 500.0, 0.5),
        ("timing", 1, 700.0, 0.5),
    ]


def test_a_single_won_deal_with_zero_amount(tmp_path):
    deals = {
        "z": (
            "ann",
            "web",
            None,
            None,
            [("2026-02-01", "prospecting", 0, "2026-03-01"), ("2026-02-11", "closed_won", 0, "2026-03-01")],
        )
    }
    path = build_warehouse(tmp_path / "one.duckdb", leads=[], deals=deals, quotas=[])
    rate = win_rate(Q1, con=path).row(0, named=True)
    assert (rate["win_rate"], rate["count_closed"]) == (1.0, 1)
    assert rate["win_rate_low"] == pytest.approx(0.2065, abs=1e-4)
    assert average_deal_size(Q1, con=path)["average_deal_size"][0] == 0.0
    assert sales_cycle_length(Q1, con=path)["median_days"][0] == pytest.approx(10.0)
    assert sales_velocity(Q1, con=path)["sales_velocity_per_day"][0] == 0.0


def test_no_data_gives_empty_results_not_errors(empty):
    rate = win_rate(Q1, con=empty).row(0, named=True)
    assert (rate["count_closed"], rate["win_rate"], rate["win_rate_low"]) == (0, None, None)
    assert average_deal_size(Q1, con=empty).select("count_won", "average_deal_size").row(0) == (0, None)
    assert sales_velocity(Q1, con=empty)["sales_velocity_per_day"][0] is None
    assert stage_duration(Q1, con=empty)["count_visits"].to_list() == [0, 0, 0, 0]
    assert stale_deals(con=empty).is_empty()
    assert lost_reasons(Q1, con=empty).is_empty()


def test_stage_p90_benchmarks_cover_all_finished_visits(tiny):
    assert stage_p90_days(con=tiny) == pytest.approx(
        {"prospecting": 20.5, "discovery": 15.6, "proposal": 18.4, "negotiation": 27 + 4 / 24}
    )
