"""Drill-down in a real browser: click a bar of the Pipeline chart, see and export the deals behind it."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from playwright.sync_api import expect

from core.db import transaction
from crm.actors import SYSTEM_ACTOR
from crm.users import NewUser, create_user
from tests.analytics.tiny_warehouse import build_warehouse
from tests.e2e.conftest import open_page, sign_in, wait_idle

PASSWORD = "correct-horse-battery"


def _publish_tiny_warehouse() -> None:
    """Publish the hand-computed warehouse where the app server reads it (as the ETL would: os.replace)."""
    serving = Path(os.environ["WAREHOUSE_PATH"])
    serving.parent.mkdir(parents=True, exist_ok=True)
    built = build_warehouse(serving.with_name("drilldown.tmp.duckdb"), snapshot_at=dt.datetime.now(dt.UTC))
    os.replace(built, serving)


def test_clicking_a_stage_bar_shows_and_exports_the_deals_behind_it(clean_db, browser_page, screenshot_dir):
    with transaction(clean_db) as session:
        create_user(
            session=session,
            data=NewUser(email="sam@example.com", password=PASSWORD, role="analyst", name="Sam"),
            actor=SYSTEM_ACTOR,
        )
    _publish_tiny_warehouse()
    page = browser_page
    try:
        sign_in(page, "sam@example.com", PASSWORD)
    finally:
        page.screenshot(path=str(screenshot_dir / "drilldown_after_sign_in.png"), full_page=True)
    open_page(page, "Pipeline")
    expect(page.get_by_text("Data as of")).to_be_visible()

    chart = page.locator(".st-key-pipeline_stage_chart")
    negotiation_bar = chart.locator(".barlayer .trace").first.locator(".point").nth(3)
    negotiation_bar.click(force=True)
    wait_idle(page)

    expect(page.get_by_role("heading", name="Open deals: Negotiation")).to_be_visible()
    with page.expect_download() as download:
        page.locator(".st-key-pipeline_segment_deals_csv button").click()
    exported = Path(download.value.path()).read_text()
    page.screenshot(path=str(screenshot_dir / "pipeline_drilldown.png"), full_page=True)
    lines = exported.strip().splitlines()
    assert len(lines) == 2, exported  # header + the one negotiation deal
    assert "Deal o6" in lines[1] and "5000.0" in lines[1]
