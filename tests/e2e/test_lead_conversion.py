"""The DESIGN browser flow: sign in, find a lead, open it, convert it, land on the opportunity."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from core.db import transaction
from crm.actors import SYSTEM_ACTOR, actor_from_user
from crm.leads import create_lead
from crm.users import NewUser, create_user
from tests.e2e.conftest import open_page, sign_in, wait_idle

PASSWORD = "correct-horse-battery"


def _seed_rep_with_qualified_lead(engine) -> None:
    with transaction(engine) as session:
        rep = create_user(
            session=session,
            data=NewUser(email="e2e.rep@example.com", password=PASSWORD, role="rep", name="Leo Rep"),
            actor=SYSTEM_ACTOR,
        )
        create_lead(
            session=session,
            data={
                "first_name": "John",
                "last_name": "Doe",
                "email": "john.doe@example.com",
                "company": "Acme",
                "status": "qualified",
            },
            actor=actor_from_user(rep),
        )


def test_rep_converts_a_qualified_lead_into_an_opportunity(clean_db, browser_page, screenshot_dir):
    _seed_rep_with_qualified_lead(clean_db)
    page = browser_page
    sign_in(page, "e2e.rep@example.com", PASSWORD)
    open_page(page, "Leads")

    page.get_by_label("Search").fill("john.doe@example.com")
    page.get_by_role("button", name="Search").click()
    wait_idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    exported = download.value.path().read_text(encoding="utf-8-sig")
    assert exported.splitlines()[0].startswith("id,first_name,last_name,email")
    assert len(exported.splitlines()) == 2 and "john.doe@example.com" in exported
    page.get_by_text("John Doe").click()
    expect(page.get_by_role("heading", name="Why this score")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_text("Qualified")).to_be_visible()  # strict: the status is the only match
    page.screenshot(path=str(screenshot_dir / "lead-detail.png"), full_page=True)

    page.get_by_role("button", name="Convert to Opportunity").click()
    wait_idle(page)
    page.get_by_label("Name", exact=True).fill("Acme platform")
    page.get_by_label("Amount").fill("50000")
    page.get_by_role("combobox", name="Stage").click()
    page.get_by_role("option", name="Discovery").click()
    page.get_by_role("spinbutton", name="year, Expected close date").click()
    page.keyboard.type("20270315")
    page.keyboard.press("Escape")
    page.screenshot(path=str(screenshot_dir / "convert-form.png"), full_page=True)
    page.get_by_role("button", name="Create Opportunity").click()
    wait_idle(page)

    expect(page.get_by_text("Opportunity created successfully")).to_be_visible()
    wait_idle(page)
    assert re.search(r"/opportunities\?id=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", page.url)
    expect(page.get_by_text("Discovery")).to_be_visible()  # strict: the stage is the only match
    expect(page.get_by_text("50,000 USD")).to_be_visible()
    expect(page.get_by_text("2027-03-15").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "opportunity.png"), full_page=True)
