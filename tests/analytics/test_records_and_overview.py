"""Drill-down records behind aggregates, and the Overview KPIs with their previous period."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.conversion import conversion_by
from analytics.deals import stage_duration
from analytics.filters import MetricFilter
from analytics.overview import overview_kpis
from analytics.pipeline import open_pipeline_by_stage, pipeline_on, pipeline_trend
from analytics.records import deals_behind, deals_behind_coverage, deals_open_on, leads_behind, stage_visits_behind
from analytics.team import pipeline_coverage

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


def test_deals_open_on_a_trend_day_add_up_to_the_trend_point(tiny):
    feb_28 = dt.date(2026, 2, 28)
    point = pipeline_on(feb_28, con=tiny).row(0, named=True)
    deals = deals_open_on(feb_28, con=tiny)
    assert (deals.height, deals["amount"].sum()) == (point["count_open"], point["amount"])
    trend = pipeline_trend(MetricFilter(start_on=feb_28, end_on=feb_28), con=tiny).filter(stage="proposal")
    assert deals_open_on(feb_28, stage="proposal", con=tiny)["amount"].sum() == trend["amount"][0]


def test_deals_behind_a_coverage_row_add_up_to_its_open_amount(tiny):
    april = dt.date(2026, 4, 15)
    for by in ("owner", "team"):
        for row in pipeline_coverage(quarter_of=april, by=by, con=tiny).iter_rows(named=True):
            deals = deals_behind_coverage(key=row["key"], by=by, quarter_of=april, con=tiny)
            assert deals["amount"].sum() == pytest.approx(row["open_amount"]), (by, row["key"])
    assert deals_behind_coverage(key="ann", quarter_of=april, con=tiny)["owner_name"].unique().to_list() == ["Ann Able"]
    with pytest.raises(ValueError, match="by must be"):
        deals_behind_coverage(key="x", by="territory", con=tiny)


def test_stage_visits_behind_a_duration_row_match_its_count_and_median(tiny):
    rows = {r["stage"]: r for r in stage_duration(Q1, con=tiny).iter_rows(named=True)}
    for stage in ("prospecting", "discovery", "proposal", "negotiation"):
        visits = stage_visits_behind(Q1, stage=stage, con=tiny)
        assert visits.height == rows[stage]["count_visits"], stage
        assert visits["days"].median() == pytest.approx(rows[stage]["median_days"]), stage
        assert set(visits["stage"].to_list()) <= {stage}
