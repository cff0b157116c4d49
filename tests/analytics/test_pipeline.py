"""Open pipeline now, on a past day, over time, and the change waterfall between two days, by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.filters import MetricFilter
from analytics.pipeline import (
    deals_behind_change,
    open_pipeline_by,
    open_pipeline_by_stage,
    pipeline_change_summary,
    pipeline_changes,
    pipeline_on,
    pipeline_trend,
)

FEB_28, MAR_31 = dt.date(2026, 2, 28), dt.date(2026, 3, 31)


def test_open_pipeline_by_stage_lists_every_open_stage_in_funnel_order(tiny):
    frame = open_pipeline_by_stage(con=tiny)
    assert frame.select("key", "count_open", "amount", "weighted_amount").rows() == [
        ("prospecting", 1, 0.0, 0.0),
        ("discovery", 0, 0.0, 0.0),
        ("proposal", 1, 2000.0, 1000.0),
        ("negotiation", 1, 5000.0, 4000.0),
    ]


def test_open_pipeline_by_team_and_territory_respects_filters(tiny):
    by_team = open_pipeline_by("team", con=tiny)
    assert by_team.select("label", "amount").rows() == [("West Team", 5000.0), ("East Team", 2000.0)]
    east = open_pipeline_by("territory", MetricFilter(territory_ids=("e",)), con=tiny)
    assert east.select("key", "count_open").rows() == [("e", 2)]
    assert open_pipeline_by("owner", MetricFilter(sources=("referral",)), con=tiny)["key"].to_list() == ["cid"]


def test_pipeline_on_a_past_day_comes_from_the_history(tiny):
    row = pipeline_on(FEB_28, con=tiny).row(0, named=True)
    assert (row["count_open"], row["amount"]) == (4, 10000.0)
    assert row["weighted_amount"] == pytest.approx(1000 * 0.5 + 3000 * 0.5 + 2000 * 0.1 + 4000 * 0.8)


def test_pipeline_on_agrees_between_the_daily_snapshot_and_the_history(tiny):
    for day in (dt.date(2026, 1, 31), FEB_28, dt.date(2026, 3, 12), MAR_31):
        snapshot = pipeline_on(day, con=tiny)  # pipeline_daily covers these days
        rebuilt = pipeline_on(day, MetricFilter(sources=("web", "event", "referral")), con=tiny)  # history
        assert snapshot.row(0) == pytest.approx(rebuilt.row(0))
    after_last_snapshot = pipeline_on(dt.date(2026, 6, 1), con=tiny).row(0, named=True)
    assert after_last_snapshot["amount"] == 7000.0  # falls back to the history: o4 + o5 + o6


def test_pipeline_trend_sums_the_daily_snapshots(tiny):
    frame = pipeline_trend(MetricFilter(start_on=FEB_28, end_on=FEB_28), by="total", con=tiny)
    assert frame.select("snapshot_on", "count_open", "amount").rows() == [(FEB_28, 4, 10000.0)]
    by_stage = pipeline_trend(MetricFilter(start_on=FEB_28, end_on=FEB_28), con=tiny)
    assert dict(by_stage.select("stage", "amount").rows()) == {
        "prospecting": 2000.0,
        "proposal": 4000.0,
        "negotiation": 4000.0,
    }


def test_pipeline_changes_classify_each_deal(tiny):
    changes = pipeline_changes(FEB_28, MAR_31, con=tiny)
    kinds = dict(changes.select("opportunity_id", "change").rows())
    assert kinds == {"o1": "won", "o3": "decreased", "o4": "unchanged", "o5": "new", "o6": "increased"}
    assert changes.filter("is_pulled_in")["opportunity_id"].to_list() == ["o3"]
    assert changes.filter("is_pushed_out")["opportunity_id"].to_list() == ["o4"]


def test_waterfall_reconciles_start_plus_changes_to_end(tiny):
    summary = pipeline_change_summary(pipeline_changes(FEB_28, MAR_31, con=tiny))
    steps = {r["step"]: (r["count_deals"], r["amount"]) for r in summary.iter_rows(named=True)}
    assert steps == {
        "start": (4, 10000.0),
        "new": (1, 0.0),
        "increased": (1, 1000.0),
        "decreased": (1, -500.0),
        "won": (1, -1000.0),
        "lost": (0, 0.0),
        "end": (4, 9500.0),
        "pulled_in": (1, 2500.0),
        "pushed_out": (1, 2000.0),
    }


def test_a_deal_lost_between_the_days_is_lost(tiny):
    changes = pipeline_changes(dt.date(2026, 3, 15), MAR_31, con=tiny)
    lost = deals_behind_change(changes, "lost")
    assert lost.select("opportunity_id", "pipeline_effect", "lost_reason").rows() == [("o2", -500.0, "price")]


def test_pipeline_changes_refuse_reversed_days(tiny):
    with pytest.raises(ValueError, match="from_day"):
        pipeline_changes(MAR_31, FEB_28, con=tiny)


def test_no_data_gives_zero_pipeline(empty):
    assert open_pipeline_by_stage(con=empty)["amount"].sum() == 0
    assert pipeline_on(FEB_28, con=empty)["count_open"][0] == 0
    assert pipeline_trend(con=empty).is_empty()
    summary = pipeline_change_summary(pipeline_changes(FEB_28, MAR_31, con=empty))
    assert summary["amount"].to_list() == [0.0] * 9
