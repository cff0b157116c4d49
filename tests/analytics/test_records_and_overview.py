"""Drill-down records behind aggregates, and the Overview KPIs with their previous period."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.conversion import conversion_by
from analytics.filters import MetricFilter
from analytics.overview import overview_kpis
from analytics.pipeline import open_pipeline_by_stage
from analytics.records import deals_behind, leads_behind

Q1 = MetricFilter(start_on=dt.date(2026, 1, 1), end_on=dt.date(2026, 3, 31))


def test_deals_behind_a_stage_bar_add_up_to_the_bar(tiny):
    bar = open_pipeline_by_stage(con=tiny).filter(key="negotiation").row(0, named=True)
    deals = deals_behind(state="open", dimension="stage", key="negotiation", con=tiny)
    assert deals["opportunity_id"].to_list() == ["o6"]
    assert deals["amount"].sum() == bar["amount"]


def test_deals_behind_won_and_lost_use_the_close_date_range(tiny):
    assert deals_behind(Q1, state="won", con=tiny)["opportunity_id"].to_list() == ["o1"]
    assert deals_behind(Q1, state="lost", con=tiny)["opportunity_id"].to_list() == ["o7", "o2"]
    with pytest.raises(ValueError, match="state must be one of"):
        deals_behind(Q1, state="maybe", con=tiny)


def test_leads_behind_a_conversion_row_match_its_counts(tiny):
    row = conversion_by("source", Q1, con=tiny).filter(key="web").row(0, named=True)
    leads = leads_behind(Q1, dimension="source", key="web", con=tiny)
    assert leads.height == row["count_leads"]
    assert leads_behind(Q1, dimension="source", key="web", converted=True, con=tiny).height == row["count_converted"]
    cohort = leads_behind(Q1, dimension="cohort_month", key="2026-02", con=tiny)
    assert sorted(cohort["lead_id"].to_list()) == ["l3", "l4", "l5"]


def test_overview_kpis_compare_with_the_previous_period(tiny):
    march = MetricFilter(start_on=dt.date(2026, 3, 1), end_on=dt.date(2026, 3, 31))
    kpis = {r["kpi"]: r for r in overview_kpis(march, con=tiny).iter_rows(named=True)}
    assert kpis["open_pipeline"]["value"] == 9500.0  # end of 31 March
    assert kpis["open_pipeline"]["previous_value"] == 10000.0  # end of 28 February
    assert kpis["win_rate"]["value"] == 0.5  # o1 won, o2 lost in March
    assert kpis["win_rate"]["previous_value"] == 0.0  # o7 lost in Jan 29 – Feb 28
    assert kpis["win_rate"]["sample_size"] == 2
    assert kpis["new_leads"]["value"] == 1.0
    assert kpis["median_cycle_days"]["unit"] == "days"


def test_overview_kpis_on_an_empty_warehouse_have_no_values(empty):
    kpis = overview_kpis(Q1, con=empty)
    assert kpis.height == 8
    assert kpis.filter(kpi="win_rate")["value"][0] is None
    assert kpis.filter(kpi="open_pipeline")["value"][0] == 0.0


def test_deals_behind_a_lost_reason_row(tiny):
    assert deals_behind(Q1, state="lost", dimension="lost_reason", key="timing", con=tiny)[
        "opportunity_id"
    ].to_list() == ["o7"]
