"""The backtest on the real Maven CRM opportunities, imported with their engage and close dates."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from analytics.backtest import backtest
from analytics.query import run
from etl.refresh import refresh
from tests.crm.import_support import run_import

ROOT = Path(__file__).resolve().parents[2]
MAVEN = next(
    (p / "shared" / "datasets" / "maven_crm_sales_opportunities" for p in ROOT.parents if (p / "shared").is_dir()),
    ROOT / ".." / "shared" / "datasets" / "maven_crm_sales_opportunities",
)

pytestmark = [
    pytest.mark.datasets,
    pytest.mark.skipif(not MAVEN.is_dir(), reason=f"Maven data set not present at {MAVEN.resolve()}"),
]


def test_backtest_runs_on_maven_and_reports_finite_accuracy(clean_db, database_url, warehouse_path):
    report = run_import(
        clean_db,
        entity="opportunities",
        source=MAVEN / "sales_pipeline.csv",
        mapping=ROOT / "examples" / "maven_opportunities.json",
    )
    assert report.error_count == 0, report.errors[:5]
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    report = backtest(origins=3, months=3, simulations=200, con=warehouse_path)
    points, summary = report.points, report.summary

    assert points.height == 3
    assert points["as_of"].max().year == 2017  # the deals closed in 2016–2017, not at import time
    assert (points["actual"] > 0).all()
    forecast = summary.filter(pl.col("method") == "forecast").row(0, named=True)
    assert math.isfinite(forecast["wape"]) and math.isfinite(forecast["bias"])
    assert 0.0 <= forecast["coverage_months"] <= 1.0
    assert summary.filter(pl.col("method") == "last_period_actual")["wape"].is_finite().all()
    # the run rate of deals not created yet is learned from fully observed months (closes start in March
    # 2017): what it expects from new deals is within 25 % of what deals created after each origin won
    for row in points.iter_rows(named=True):
        won_new = run(
            "SELECT CAST(sum(amount) AS DOUBLE) AS won FROM opportunities "
            "WHERE is_won AND created_on > ? AND closed_on > ? AND closed_on <= ?",
            [row["as_of"], row["as_of"], row["horizon_end"]],
            con=warehouse_path,
        )["won"][0]
        assert row["from_new_pipeline"] == pytest.approx(won_new, rel=0.25)
