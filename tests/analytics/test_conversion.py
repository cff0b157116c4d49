"""Lead conversion by segment, cohort curves, time to convert and the stage funnel, on hand-computed data."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.conversion import (
    cohort_conversion_curves,
    conversion_by,
    conversion_rate_by_source,
    stage_funnel,
    time_to_convert,
)
from analytics.filters import MetricFilter
from tests.analytics.tiny_warehouse import build_warehouse

Q1 = MetricFilter(start_on=dt.date(2026, 1, 1), end_on=dt.date(2026, 3, 31))
AS_OF = dt.datetime(2026, 4, 15, tzinfo=dt.UTC)


def _by_key(frame, column):
    return dict(zip(frame["key"].to_list(), frame[column].to_list(), strict=True))


def test_conversion_rate_by_source_counts_leads_created_in_range(tiny):
    frame = conversion_rate_by_source(Q1, con=tiny)
    assert _by_key(frame, "count_leads") == {"web": 3, "event": 2, "referral": 1}
    assert _by_key(frame, "count_converted") == {"web": 2, "event": 1, "referral": 0}
    assert _by_key(frame, "conversion_rate") == pytest.approx({"web": 2 / 3, "event": 0.5, "referral": 0.0})


def test_every_rate_carries_a_wilson_interval_and_small_sample_flag(tiny):
    web = conversion_rate_by_source(Q1, con=tiny).filter(key="web").row(0, named=True)
    assert web["conversion_rate_low"] == pytest.approx(0.2077, abs=1e-4)
    assert web["conversion_rate_high"] == pytest.approx(0.9385, abs=1e-4)
    assert web["conversion_rate_small_sample"] is True


def test_conversion_by_team_and_median_days_to_convert(tiny):
    frame = conversion_by("team", Q1, con=tiny)
    assert _by_key(frame, "count_leads") == {"t1": 4, "t2": 2}
    assert _by_key(frame, "label") == {"t1": "East Team", "t2": "West Team"}
    assert _by_key(frame, "median_days_to_convert") == pytest.approx({"t1": 20.0, "t2": 4.0})


def test_unknown_dimension_is_refused_with_the_allowed_ones(tiny):
    with pytest.raises(ValueError, match="source, owner, team, territory, cohort_month"):
        conversion_by("colour", Q1, con=tiny)


def test_a_lead_created_late_on_31_january_in_new_york_belongs_to_the_february_cohort(tiny):
    frame = conversion_by("cohort_month", Q1, con=tiny)
    assert _by_key(frame, "count_leads") == {"2026-01": 2, "2026-02": 3, "2026-03": 1}
    february = MetricFilter(start_on=dt.date(2026, 2, 1), end_on=dt.date(2026, 2, 28))
    assert conversion_by("source", february, con=tiny).filter(key="event")["count_leads"][0] == 2


def test_cohort_curves_only_count_leads_old_enough_for_each_month(tiny):
    frame = cohort_conversion_curves(Q1, as_of=AS_OF, max_months=6, con=tiny)
    cells = {
        (r["cohort_month"], r["months_since_created"]): (r["count_converted"], r["count_leads"])
        for r in frame.iter_rows(named=True)
    }
    assert cells == {
        ("2026-01", 1): (1, 2),
        ("2026-01", 2): (1, 2),
        ("2026-01", 3): (1, 2),
        ("2026-02", 1): (1, 3),
        ("2026-02", 2): (2, 3),
    }
    # The March cohort is less than a month old: it has no point yet rather than a misleading 0 %.
    assert "2026-03" not in frame["cohort_month"].to_list()


def test_time_to_convert_median_and_p90(tiny):
    row = time_to_convert(Q1, con=tiny).row(0, named=True)
    assert row["count_converted"] == 3
    assert row["median_days"] == pytest.approx(10.0)
    assert row["p90_days"] == pytest.approx(10 + 0.8 * 20)


def test_stage_funnel_counts_deals_reaching_each_stage_or_later(tiny):
    frame = stage_funnel(Q1, con=tiny)
    assert frame["stage"].to_list() == ["prospecting", "discovery", "proposal", "negotiation", "closed_won"]
    assert frame["count_reached"].to_list() == [7, 5, 4, 3, 2]
    assert frame["stage_conversion"].to_list() == pytest.approx([1.0, 5 / 7, 4 / 5, 3 / 4, 2 / 3])


def test_owner_filter_and_visibility_narrow_conversion(tiny):
    assert conversion_by("source", MetricFilter(owner_ids=("cid",)), con=tiny)["count_leads"].sum() == 2
    rep_scope = MetricFilter(owner_ids=("cid", "ann"), visible_owner_ids=("ann",))
    assert conversion_by("owner", rep_scope, con=tiny)["key"].to_list() == ["ann"]


def test_no_data_gives_empty_frames_not_errors(empty):
    assert conversion_rate_by_source(Q1, con=empty).is_empty()
    assert cohort_conversion_curves(Q1, as_of=AS_OF, con=empty).is_empty()
    assert time_to_convert(Q1, con=empty)["count_converted"][0] == 0
    assert stage_funnel(Q1, con=empty)["count_reached"].to_list() == [0, 0, 0, 0, 0]


def test_cohort_months_are_calendar_months_from_a_month_end(tmp_path):
    leads = [
        ("x1", "web", "ann", "2026-01-31T00:00:00", "2026-02-28T00:00:00"),  # exactly one month later
        ("x2", "web", "ann", "2026-01-31T00:00:00", "2026-03-01T00:00:00"),
    ]
    path = build_warehouse(tmp_path / "month_end.duckdb", leads=leads, deals={}, quotas=[])
    on_31_march = cohort_conversion_curves(as_of=dt.datetime(2026, 3, 31, tzinfo=dt.UTC), con=path)
    assert on_31_march.select("months_since_created", "count_converted", "count_leads").rows() == [(1, 1, 2), (2, 2, 2)]
    on_30_march = cohort_conversion_curves(as_of=dt.datetime(2026, 3, 30, tzinfo=dt.UTC), con=path)
    assert on_30_march["months_since_created"].to_list() == [1]
