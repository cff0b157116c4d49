"""The real exports in ../shared/datasets import with the committed mappings (counts from each SOURCE.md)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.crm.import_support import run_import

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / ".." / "shared" / "datasets"
EXAMPLES = ROOT / "examples"

pytestmark = [
    pytest.mark.datasets,
    pytest.mark.skipif(not DATASETS.is_dir(), reason=f"real data sets not present at {DATASETS.resolve()}"),
]


def scalar(engine: Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def test_maven_pipeline_imports_8800_opportunities_with_win_rate_and_history(clean_db: Engine) -> None:
    source = DATASETS / "maven_crm_sales_opportunities" / "sales_pipeline.csv"

    report = run_import(
        clean_db,
        entity="opportunities",
        source=source,
        mapping=EXAMPLES / "maven_opportunities.json",
    )

    assert (report.rows_read, report.inserted, report.error_count) == (8800, 8800, 0), report.errors[:5]
    won = scalar(clean_db, "SELECT count(*) FROM opportunities WHERE stage = 'closed_won'")
    lost = scalar(clean_db, "SELECT count(*) FROM opportunities WHERE stage = 'closed_lost'")
    assert (won, lost) == (4238, 2473)
    assert round(won / (won + lost) * 100, 2) == 63.15
    assert scalar(clean_db, "SELECT sum(amount) FROM opportunities WHERE stage = 'closed_won'") == Decimal(
        "10005534.00"
    )
    assert scalar(clean_db, "SELECT count(*) FROM opportunities WHERE stage = 'discovery'") == 1589
    assert scalar(clean_db, "SELECT count(*) FROM accounts") <= 85
    # closed deals: opened at engage_date and closed at close_date; Engaging deals: opened at engage_date and
    # Engaging from the import; Prospecting deals (no engage_date): one row at the import
    history_rows = 2 * 6711 + 2 * 1589 + 500
    assert scalar(clean_db, "SELECT count(*) FROM opportunity_stage_history") == history_rows
    assert scalar(clean_db, "SELECT count(*) FROM opportunity_stage_history WHERE amount IS NULL") == 6711 + 1589
    median_cycle = scalar(
        clean_db,
        "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY closed_at::date - created_at::date) "
        "FROM opportunities WHERE stage = 'closed_won'",
    )
    assert median_cycle == 57

    again = run_import(
        clean_db,
        entity="opportunities",
        source=source,
        mapping=EXAMPLES / "maven_opportunities.json",
    )
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 8800)
    assert scalar(clean_db, "SELECT count(*) FROM opportunity_stage_history") == history_rows


def test_olist_leads_and_closed_deals_give_842_conversions(clean_db: Engine) -> None:
    folder = DATASETS / "olist_marketing_funnel"

    leads = run_import(
        clean_db,
        entity="leads",
        source=folder / "olist_marketing_qualified_leads_dataset.csv",
        mapping=EXAMPLES / "olist_leads.json",
    )
    deals = run_import(
        clean_db,
        entity="opportunities",
        source=folder / "olist_closed_deals_dataset.csv",
        mapping=EXAMPLES / "olist_closed_deals.json",
    )

    assert (leads.inserted, leads.error_count) == (8000, 0), leads.errors[:5]
    assert (deals.inserted, deals.error_count, deals.leads_converted) == (842, 0, 842), deals.errors[:5]
    converted = scalar(clean_db, "SELECT count(*) FROM leads WHERE status = 'converted'")
    assert round(converted / 8000 * 100, 2) == 10.53
    assert scalar(clean_db, "SELECT count(*) FROM leads WHERE source = 'organic_search'") == 2296
    assert scalar(clean_db, "SELECT count(*) FROM leads WHERE source IS NULL") == 60
    assert (
        scalar(clean_db, "SELECT count(*) FROM opportunities WHERE stage = 'closed_won' AND lead_id IS NOT NULL") == 842
    )
    assert scalar(clean_db, "SELECT min(created_at)::date::text FROM leads") == "2017-06-14"


def test_x_education_leads_import_9240_leads_with_38_54_percent_converted(clean_db: Engine) -> None:
    source = DATASETS / "x_education_leads" / "Leads.csv"

    report = run_import(clean_db, entity="leads", source=source, mapping=EXAMPLES / "x_education_leads.json")

    assert (report.inserted, report.error_count) == (9240, 0), report.errors[:5]
    converted = scalar(clean_db, "SELECT count(*) FROM leads WHERE status = 'converted'")
    assert converted == 3561 and round(converted / 9240 * 100, 2) == 38.54
    assert scalar(clean_db, "SELECT count(*) FROM leads WHERE country = 'Select' OR industry = 'Select'") == 0
    reference = scalar(
        clean_db, "SELECT round(avg((status = 'converted')::int) * 100, 1) FROM leads WHERE source = 'Reference'"
    )
    assert reference == Decimal("91.8")


def test_maven_accounts_then_opportunities_give_every_named_deal_its_account_details(clean_db: Engine) -> None:
    folder = DATASETS / "maven_crm_sales_opportunities"
    accounts = run_import(
        clean_db,
        entity="accounts",
        source=folder / "accounts.csv",
        mapping=EXAMPLES / "maven_accounts.json",
    )
    assert (accounts.rows_read, accounts.inserted, accounts.error_count) == (85, 85, 0), accounts.errors[:5]
    assert "columns not imported: year_established, subsidiary_of" in accounts.notes
    acme = text(
        "SELECT industry, annual_revenue, employee_count, country FROM accounts WHERE name = 'Acme Corporation'"
    )
    with clean_db.connect() as conn:
        assert tuple(conn.execute(acme).one()) == ("technology", Decimal("1100040000.00"), 2822, "United States")
    assert scalar(clean_db, "SELECT count(*) FROM accounts WHERE industry = 'technolgy'") == 0

    deals = run_import(
        clean_db,
        entity="opportunities",
        source=folder / "sales_pipeline.csv",
        mapping=EXAMPLES / "maven_opportunities.json",
    )
    assert (deals.inserted, deals.error_count) == (8800, 0)
    assert scalar(clean_db, "SELECT count(*) FROM accounts") == 85  # found by name, none created
    named = "SELECT count(*) FROM opportunities o JOIN accounts a ON a.id = o.account_id WHERE a.industry IS NOT NULL"
    assert scalar(clean_db, named) == 8800 - 1425  # every deal with an account (SOURCE.md: 1,425 have none)

    again = run_import(
        clean_db,
        entity="accounts",
        source=folder / "accounts.csv",
        mapping=EXAMPLES / "maven_accounts.json",
    )
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 85)
