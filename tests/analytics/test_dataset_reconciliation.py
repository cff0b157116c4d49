"""Dashboard metrics on the real public exports match an independent polars computation from the CSVs.

Imports with the committed mappings, runs the real ETL, then compares the Maven win rate and the Olist
MQL conversion by origin with figures computed straight from the files (see each SOURCE.md).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from analytics.conversion import conversion_rate_by_source
from analytics.deals import win_rate
from analytics.filters import MetricFilter
from etl import refresh as refresh_module
from tests.crm.import_support import run_import

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / ".." / "shared" / "datasets"
EXAMPLES = ROOT / "examples"

pytestmark = [
    pytest.mark.datasets,
    pytest.mark.skipif(not DATASETS.is_dir(), reason=f"real data sets not present at {DATASETS.resolve()}"),
]


def _import(engine, entity: str, csv: Path, mapping: str) -> None:
    report = run_import(engine, entity=entity, source=csv, mapping=EXAMPLES / mapping)
    assert report.error_count == 0, report.errors[:5]


def test_maven_win_rate_and_olist_conversion_by_origin_match_the_csvs(clean_db, database_url, warehouse_path):
    maven = DATASETS / "maven_crm_sales_opportunities" / "sales_pipeline.csv"
    _import(clean_db, "opportunities", maven, "maven_opportunities.json")
    refresh_module.refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    stages = pl.read_csv(maven)["deal_stage"]
    won, lost = int((stages == "Won").sum()), int((stages == "Lost").sum())
    rate = win_rate(MetricFilter(), con=warehouse_path).row(0, named=True)
    assert (rate["count_won"], rate["count_closed"]) == (won, won + lost) == (4238, 6711)
    assert rate["win_rate"] == pytest.approx(0.6315, abs=5e-5)

    folder = DATASETS / "olist_marketing_funnel"
    _import(clean_db, "leads", folder / "olist_marketing_qualified_leads_dataset.csv", "olist_leads.json")
    _import(clean_db, "opportunities", folder / "olist_closed_deals_dataset.csv", "olist_closed_deals.json")
    refresh_module.refresh(full=True, url=database_url, warehouse_path=warehouse_path)

    mqls = pl.read_csv(folder / "olist_marketing_qualified_leads_dataset.csv", infer_schema=False)
    deals = pl.read_csv(folder / "olist_closed_deals_dataset.csv", infer_schema=False).select("mql_id").unique()
    expected = (
        mqls.with_columns(pl.col("mql_id").is_in(deals["mql_id"].implode()).alias("won"))
        .group_by(pl.col("origin").fill_null("(none)"))
        .agg(pl.len().alias("mqls"), pl.col("won").sum().alias("won"))
    )
    expected_by_origin = {r["origin"]: (r["mqls"], r["won"]) for r in expected.iter_rows(named=True)}
    measured = conversion_rate_by_source(MetricFilter(), con=warehouse_path)
    measured_by_origin = {r["label"]: (r["count_leads"], r["count_converted"]) for r in measured.iter_rows(named=True)}
    assert measured_by_origin == expected_by_origin
    assert measured_by_origin["organic_search"] == (2296, 271)  # SOURCE.md fact 4
    assert measured["count_converted"].sum() / measured["count_leads"].sum() == pytest.approx(842 / 8000)
