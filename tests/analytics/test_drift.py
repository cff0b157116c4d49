"""The conversion-drop signal: two-proportion z-test of the latest cohort against the trailing rate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from analytics.drift import (
    conversion_drop_signals,
    detect_conversion_drops,
    export_conversion_drop,
    export_conversion_metrics,
    export_conversion_rates,
    lower_tail_p,
    two_proportion_z,
)
from core.metrics import CONVERSION_DROP, CONVERSION_DROP_ZSCORE, LEAD_CONVERSION_RATE

AS_OF = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)
RECENT_DAY = AS_OF - dt.timedelta(days=10)  # inside the recent cohort [as_of-14d, as_of-7d)
TRAILING_DAY = AS_OF - dt.timedelta(days=40)  # inside the trailing cohort


def _cohort(source: str, owner: str, created: dt.datetime, leads: int, converted: int, *, after_days: float = 2):
    return [
        {
            "source": source,
            "owner": owner,
            "created_at": created,
            "converted_at": created + dt.timedelta(days=after_days) if i < converted else None,
        }
        for i in range(leads)
    ]


def _frame(*cohorts: list[dict]) -> pl.DataFrame:
    rows = [row for cohort in cohorts for row in cohort]
    return pl.DataFrame(
        rows,
        schema={
            "source": pl.String,
            "owner": pl.String,
            "created_at": pl.Datetime("us", "UTC"),
            "converted_at": pl.Datetime("us", "UTC"),
        },
    )


def _row(signals: pl.DataFrame, dimension: str, value: str) -> dict:
    return signals.filter((pl.col("dimension") == dimension) & (pl.col("value") == value)).row(0, named=True)


def test_z_score_matches_the_textbook_formula():
    # 20/100 vs 60/200: pooled 80/300, z = (0.2 - 0.3) / sqrt(p(1-p)(1/100 + 1/200))
    pooled = 80 / 300
    expected = (0.2 - 0.3) / (pooled * (1 - pooled) * (1 / 100 + 1 / 200)) ** 0.5
    assert two_proportion_z(20, 100, 60, 200) == pytest.approx(expected)
    assert lower_tail_p(0.0) == pytest.approx(0.5)
    assert lower_tail_p(-2.326) == pytest.approx(0.01, abs=1e-4)


def test_z_score_is_undefined_without_variance_or_leads():
    assert two_proportion_z(0, 50, 0, 50) is None
    assert two_proportion_z(0, 0, 5, 50) is None


def test_a_sharp_drop_on_a_large_source_is_flagged():
    leads = _frame(
        _cohort("webinar", "Ana", TRAILING_DAY, 400, 120),  # trailing 30 %
        _cohort("webinar", "Ana", RECENT_DAY, 100, 10),  # recent 10 %
    )
    row = _row(detect_conversion_drops(leads, as_of=AS_OF), "source", "webinar")
    assert row["is_tested"] and row["is_drop"]
    assert row["recent_leads"] == 100 and row["recent_converted"] == 10
    assert row["trailing_leads"] == 400 and row["trailing_converted"] == 120
    assert row["z"] < -3


def test_the_same_relative_drop_on_a_tiny_sample_is_not_tested():
    leads = _frame(_cohort("event", "Leo", TRAILING_DAY, 20, 6), _cohort("event", "Leo", RECENT_DAY, 10, 1))
    row = _row(detect_conversion_drops(leads, as_of=AS_OF), "source", "event")
    assert not row["is_tested"] and not row["is_drop"] and row["z"] is None


def test_ordinary_noise_around_the_trailing_rate_is_not_a_drop():
    leads = _frame(_cohort("web", "Sam", TRAILING_DAY, 400, 120), _cohort("web", "Sam", RECENT_DAY, 100, 27))
    row = _row(detect_conversion_drops(leads, as_of=AS_OF), "source", "web")
    assert row["is_tested"] and not row["is_drop"]


def test_a_rise_is_never_a_drop():
    leads = _frame(_cohort("web", "Sam", TRAILING_DAY, 400, 40), _cohort("web", "Sam", RECENT_DAY, 100, 50))
    row = _row(detect_conversion_drops(leads, as_of=AS_OF), "source", "web")
    assert row["z"] > 0 and not row["is_drop"]


def test_owners_are_tested_separately_from_sources():
    leads = _frame(
        _cohort("web", "Ana", TRAILING_DAY, 200, 60),
        _cohort("web", "Ana", RECENT_DAY, 60, 3),  # Ana collapses
        _cohort("web", "Leo", TRAILING_DAY, 200, 60),
        _cohort("web", "Leo", RECENT_DAY, 60, 19),  # Leo holds
    )
    signals = detect_conversion_drops(leads, as_of=AS_OF)
    assert _row(signals, "owner", "Ana")["is_drop"]
    assert not _row(signals, "owner", "Leo")["is_drop"]
    assert set(signals["dimension"]) == {"source", "owner"}


def test_conversions_after_the_horizon_do_not_count_so_young_leads_are_not_penalised():
    # Trailing leads converted late (day 20) count as misses, like the recent cohort would.
    leads = _frame(
        _cohort("web", "Ana", TRAILING_DAY, 300, 150, after_days=20),
        _cohort("web", "Ana", RECENT_DAY, 100, 0),
    )
    row = _row(detect_conversion_drops(leads, as_of=AS_OF), "source", "web")
    assert row["trailing_converted"] == 0 and not row["is_tested"]


def test_leads_too_young_for_the_horizon_are_left_out():
    leads = _frame(
        _cohort("web", "Ana", TRAILING_DAY, 300, 90),
        _cohort("web", "Ana", AS_OF - dt.timedelta(days=2), 100, 0),  # not yet 7 days old
    )
    row = _row(detect_conversion_drops(leads, as_of=AS_OF), "source", "web")
    assert row["recent_leads"] == 0 and not row["is_drop"]


def test_missing_source_is_reported_as_unknown():
    leads = _frame(_cohort(None, "Ana", TRAILING_DAY, 5, 1))  # type: ignore[arg-type]
    assert _row(detect_conversion_drops(leads, as_of=AS_OF), "source", "unknown")["trailing_leads"] == 5


def test_signals_read_the_warehouse_leads_mart(tmp_path: Path):
    leads = _frame(
        _cohort("webinar", "Ana", TRAILING_DAY, 400, 120), _cohort("webinar", "Ana", RECENT_DAY, 100, 10)
    ).with_columns(pl.col("owner").alias("owner_name"), pl.lit("u-1").alias("owner_id"))
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.register("frame", leads.to_arrow())
        con.execute("CREATE TABLE leads AS SELECT source, owner_id, owner_name, created_at, converted_at FROM frame")
    signals = conversion_drop_signals(as_of=AS_OF, con=path)  # attached read-only, as the app reads it
    assert _row(signals, "source", "webinar")["is_drop"]
    assert _row(signals, "owner", "Ana")["recent_leads"] == 100


def test_export_without_signals_reads_the_serving_warehouse(warehouse_path: Path):
    leads = _frame(_cohort("webinar", "Ana", TRAILING_DAY, 400, 120), _cohort("webinar", "Ana", RECENT_DAY, 100, 10))
    shifted = leads.with_columns(
        pl.col("owner").alias("owner_name"),
        pl.lit("u-1").alias("owner_id"),
        pl.col("created_at") + (dt.datetime.now(dt.UTC) - AS_OF),
        pl.col("converted_at") + (dt.datetime.now(dt.UTC) - AS_OF),
    )
    with duckdb.connect(str(warehouse_path)) as con:
        con.register("frame", shifted.to_arrow())
        con.execute("CREATE TABLE leads AS SELECT source, owner_id, owner_name, created_at, converted_at FROM frame")
    signals = export_conversion_drop()
    assert _row(signals, "source", "webinar")["is_drop"]
    samples = {s.labels["value"]: s.value for m in CONVERSION_DROP.collect() for s in m.samples}
    assert samples == {"webinar": 1.0, "Ana": 1.0}


def test_export_sets_one_gauge_per_tested_group_and_drops_stale_ones():
    CONVERSION_DROP.labels(dimension="source", value="gone").set(1)
    leads = _frame(
        _cohort("webinar", "Ana", TRAILING_DAY, 400, 120),
        _cohort("webinar", "Ana", RECENT_DAY, 100, 10),
        _cohort("event", "Leo", TRAILING_DAY, 5, 1),
    )
    export_conversion_drop(detect_conversion_drops(leads, as_of=AS_OF))
    samples = {
        (s.labels["dimension"], s.labels["value"]): s.value for m in CONVERSION_DROP.collect() for s in m.samples
    }
    assert samples == {("source", "webinar"): 1.0, ("owner", "Ana"): 1.0}
    zscores = {s.labels["value"]: s.value for m in CONVERSION_DROP_ZSCORE.collect() for s in m.samples}
    assert zscores["webinar"] < -3


def _rates_warehouse(path: Path, today: dt.date) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE leads AS SELECT * FROM (VALUES "
            "('web', ?::DATE, true, 3.0), ('web', ?::DATE, false, NULL), "
            "('event', ?::DATE, true, 1.0), ('event', ?::DATE, true, 2.0)) "
            "t(source, created_on, is_converted, days_to_convert)",
            [today, today - dt.timedelta(days=89), today - dt.timedelta(days=10), today - dt.timedelta(days=90)],
        )


def test_conversion_rate_gauge_uses_the_analytics_definition_over_90_days(tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    today = dt.date(2026, 6, 30)
    _rates_warehouse(path, today)
    LEAD_CONVERSION_RATE.labels(source="gone").set(1)
    export_conversion_rates(as_of=today, con=path)
    samples = {s.labels["source"]: s.value for m in LEAD_CONVERSION_RATE.collect() for s in m.samples}
    assert samples == {"web": 0.5, "event": 1.0}  # the event lead 90 days old is outside the window


def test_the_scrape_refresher_sets_both_conversion_gauges(warehouse_path: Path):
    today = dt.datetime.now(dt.UTC).date()
    _rates_warehouse(warehouse_path, today)
    with duckdb.connect(str(warehouse_path)) as con:
        con.execute("ALTER TABLE leads ADD COLUMN owner_id VARCHAR")
        con.execute("ALTER TABLE leads ADD COLUMN owner_name VARCHAR")
        con.execute("ALTER TABLE leads ADD COLUMN created_at TIMESTAMPTZ")
        con.execute("ALTER TABLE leads ADD COLUMN converted_at TIMESTAMPTZ")
        con.execute("UPDATE leads SET created_at = created_on::TIMESTAMPTZ")
    CONVERSION_DROP.labels(dimension="source", value="stale").set(1)
    export_conversion_metrics()
    assert {s.labels["source"] for m in LEAD_CONVERSION_RATE.collect() for s in m.samples} == {"web", "event"}
    assert not [s for m in CONVERSION_DROP.collect() for s in m.samples]  # too few leads to test: nothing exported
