"""The dashboard figure builders, KPI formatting and freshness rules (pure functions, no Streamlit run)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analytics.conversion import cohort_conversion_curves, conversion_rate_by_source, stage_funnel
from analytics.filters import MetricFilter
from analytics.pipeline import open_pipeline_by_stage, pipeline_change_summary, pipeline_changes, pipeline_trend
from analytics.team import rep_leaderboard
from tests.analytics.tiny_warehouse import build_warehouse
from ui import charts
from ui.kpi import format_delta, format_value


@pytest.fixture
def tiny(tmp_path):
    """The hand-computed warehouse of tests/analytics."""
    return build_warehouse(tmp_path / "tiny.duckdb")


Q1 = MetricFilter(start_on=dt.date(2026, 1, 1), end_on=dt.date(2026, 3, 31))


def test_pipeline_bars_carry_segment_keys_and_money_axes(tiny):
    fig = charts.pipeline_by_segment(open_pipeline_by_stage(con=tiny))
    assert [t.name for t in fig.data] == ["Open pipeline", "Weighted pipeline"]
    assert list(fig.data[0].x) == ["Prospecting", "Discovery", "Proposal", "Negotiation"]
    assert [c[0] for c in fig.data[0].customdata] == ["prospecting", "discovery", "proposal", "negotiation"]
    assert fig.layout.yaxis.title.text == "Amount ($)"
    assert fig.layout.xaxis.title.text == "Stage"


def test_waterfall_has_start_and_end_as_totals(tiny):
    summary = pipeline_change_summary(pipeline_changes(dt.date(2026, 2, 28), dt.date(2026, 3, 31), con=tiny))
    fig = charts.change_waterfall(summary)
    assert list(fig.data[0].x) == ["Start", "New", "Increased", "Decreased", "Won", "Lost", "End"]
    assert list(fig.data[0].measure) == ["absolute"] + ["relative"] * 5 + ["absolute"]
    assert fig.layout.yaxis.title.text == "Open pipeline ($)"
    counts = summary.filter(summary["step"].is_in(["start", "new", "increased", "decreased", "won", "lost", "end"]))
    words = ["" if n == 0 else "deal" if n == 1 else "deals" for n in counts["count_deals"]]
    assert [t.split()[-1] if t else "" for t in fig.data[0].text] == words
    assert fig.data[0].cliponaxis is False and fig.data[0].textposition == "outside"  # labels never clipped


def test_rate_bars_show_wilson_error_bars_in_percent(tiny):
    frame = conversion_rate_by_source(Q1, con=tiny)
    fig = charts.rate_bars(frame, rate="conversion_rate", title="Conversion by source", x_title="Source")
    web = frame["key"].to_list().index("web")
    assert fig.data[0].error_y.array[web] == pytest.approx(0.9385 - 2 / 3, abs=1e-4)
    assert fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.yaxis.title.text == "Conversion (%)"
    assert "n = 3" in fig.data[0].text[web]


def test_cohort_curves_one_line_per_cohort(tiny):
    frame = cohort_conversion_curves(Q1, as_of=dt.datetime(2026, 4, 15, tzinfo=dt.UTC), con=tiny)
    fig = charts.cohort_curves_chart(frame)
    assert [t.name for t in fig.data] == ["2026-01", "2026-02"]
    assert fig.layout.xaxis.title.text == "Months since lead created"
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickformat == "d"  # whole months, never 1.2


def test_funnel_and_attainment_figures(tiny):
    funnel = charts.funnel_chart(stage_funnel(Q1, con=tiny))
    assert list(funnel.data[0].x) == [7, 5, 4, 3, 2]
    bars = charts.attainment_bars(rep_leaderboard(Q1, con=tiny))
    assert list(bars.data[0].y) == [0.1, 0.0, 0.0]
    assert bars.layout.yaxis.title.text == "Attainment (%)"


def test_selected_key_reads_the_clicked_points_customdata():
    assert charts.selected_key({"selection": {"points": [{"customdata": ["proposal"]}]}}) == "proposal"
    assert charts.selected_key({"selection": {"points": []}}) is None
    assert charts.selected_key(None) is None


def test_empty_frames_still_make_figures():
    empty = pl.DataFrame(
        schema={
            "key": pl.String,
            "label": pl.String,
            "count_open": pl.Int64,
            "amount": pl.Float64,
            "weighted_amount": pl.Float64,
        }
    )
    assert len(charts.pipeline_by_segment(empty).data[0].x) == 0


def test_kpi_values_and_deltas_carry_their_units():
    assert format_value(1234567.4, "$") == "$1.2M"
    assert format_value(-98765.4, "$") == "-$98,765"
    assert format_delta(608_798_000.0, 510_118_500.0, "$") == "+$98.7M"
    assert format_value(0.4234, "%") == "42.3%"
    assert format_value(None, "days") == "—"
    assert format_delta(0.5, 0.4, "%") == "+10.0 pp"
    assert format_delta(9500, 10000, "$") == "-$500"
    assert format_delta(1.0, None, "$") is None


def test_freshness_is_stale_after_twice_the_etl_schedule(tmp_path, monkeypatch):
    from core.settings import get_settings
    from ui.freshness import read_freshness

    snapshot = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setenv("WAREHOUSE_PATH", str(build_warehouse(tmp_path / "w.duckdb", snapshot_at=snapshot)))
    monkeypatch.setenv("ETL_EVERY", "10m")
    get_settings.cache_clear()
    try:
        assert read_freshness(now=snapshot + dt.timedelta(minutes=19)).is_stale is False
        assert read_freshness(now=snapshot + dt.timedelta(minutes=21)).is_stale is True
        assert read_freshness(now=snapshot).schedule == dt.timedelta(minutes=10)
    finally:
        get_settings.cache_clear()


def test_freshness_reads_the_newest_successful_run_and_survives_a_missing_run_log(tmp_path, monkeypatch):
    from core.settings import get_settings
    from ui.freshness import read_freshness

    snapshot = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    path = build_warehouse(tmp_path / "w.duckdb", snapshot_at=snapshot)
    monkeypatch.setenv("WAREHOUSE_PATH", str(path))
    get_settings.cache_clear()
    assert read_freshness().as_of == snapshot
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE etl_runs")
    missing = read_freshness()
    assert missing.as_of is None and missing.is_stale is True
    get_settings.cache_clear()


def test_tables_show_domain_values_in_title_case_and_leave_names_alone():
    import polars as pl

    from ui.format import display_frame

    frame = pl.DataFrame({"source": ["paid_search", "web"], "owner": ["Sandra Wang", "leo@example.com"], "n": [1, 2]})
    shown, _ = display_frame(frame)
    assert shown["source"].to_list() == ["Paid Search", "Web"]
    assert shown["owner"].to_list() == ["Sandra Wang", "leo@example.com"]
    assert shown["n"].to_list() == [1, 2]


def test_forecast_tables_format_quantiles_as_dollars_and_probabilities_as_percent():
    import polars as pl

    from ui.dashboards import column_config

    frame = pl.DataFrame(
        {"p10": [1.0], "p50": [2.0], "p_reach_quota": [0.4], "quota": [5.0], "count_won": [3], "wape": [0.1]}
    )
    config = column_config(frame)
    assert config["p10"]["type_config"]["format"] == "dollar"
    assert config["p_reach_quota"]["type_config"]["format"] == "%.1f%%"  # shown ×100: 40.0%
    assert config["p_reach_quota"]["label"] == "Chance to reach quota"
    assert config["quota"]["type_config"]["format"] == "dollar"
    assert config["wape"]["type_config"]["format"] == "%.1f%%"
    assert "format" not in config["count_won"].get("type_config", {}) or config["count_won"]["type_config"].get(
        "format"
    ) not in ("dollar", "percent")


def test_a_trend_point_click_gives_its_day(tiny):
    day = dt.date(2026, 2, 28)
    trend = pipeline_trend(MetricFilter(start_on=day, end_on=day), con=tiny)
    point = {"customdata": list(charts.pipeline_trend_chart(trend).data[0].customdata[0])}
    assert charts.selected_key({"selection": {"points": [point]}}) == "2026-02-28"


def test_charts_leave_room_for_title_and_legend_without_the_plotly_toolbar(tiny):
    fig = charts.pipeline_by_segment(open_pipeline_by_stage(Q1, con=tiny))
    assert fig.layout.title.x == 0 and fig.layout.legend.x == 0  # title and legend at the left
    assert fig.layout.margin.t >= 70  # the legend sits under the title, above the plot
    assert charts.PLOTLY_CONFIG["displayModeBar"] is False  # nothing floats over the title on a phone
