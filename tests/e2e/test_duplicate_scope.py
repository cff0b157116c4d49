"""A rep's duplicate warning in "New lead" names no other rep's lead (Chromium)."""

from __future__ import annotations

from playwright.sync_api import expect

from core.db import transaction
from crm.actors import SYSTEM_ACTOR, actor_from_user
from crm.leads import create_lead
from crm.users import NewUser, create_user
from tests.e2e.conftest import open_page, sign_in, wait_idle

PASSWORD = "correct-horse-battery"
WARNING = "A similar lead exists, owned by someone else — ask your manager."


def _seed(engine) -> str:
    with transaction(engine) as session:
        create_user(
            session=session,
            data=NewUser(email="dup.maya@example.com", password=PASSWORD, role="manager", name="Maya Manager"),
            actor=SYSTEM_ACTOR,
        )
        people = {}
        for email, name in (("dup.leo@example.com", "Leo Rep"), ("dup.rita@example.com", "Rita Rep")):
            people[email] = create_user(
                session=session,
                data=NewUser(
                    email=email, password=PASSWORD, role="rep", name=name, manager_email="dup.maya@example.com"
                ),
                actor=SYSTEM_ACTOR,
            )
        lead = create_lead(
            session=session,
            data={
                "first_name": "Dana",
                "last_name": "Scully",
                "email": "dana.scully@fbi.example.com",
                "company": "FBI",
            },
            actor=actor_from_user(people["dup.rita@example.com"]),
        )
        return str(lead.id)


def test_a_reps_duplicate_warning_names_no_other_reps_lead(clean_db, browser_page, screenshot_dir):
    rita_lead_id = _seed(clean_db)
    page = browser_page
    sign_in(page, "dup.leo@example.com", PASSWORD)
    open_page(page, "Leads")
    page.get_by_role("button", name="New lead").click()
    wait_idle(page)
    page.get_by_label("First name").fill("Dana")
    page.get_by_label("Last name").fill("Scully")
    page.get_by_label("Company").fill("FBI")
    page.get_by_label("Email").fill("d.scully@home.example.com")
    page.get_by_role("button", name="Save lead").click()
    wait_idle(page)

    expect(page.get_by_text(WARNING)).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "duplicate-warning-rep.png"), full_page=True)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "dana.scully@fbi.example.com" not in body
    assert "Rita" not in body and "% match" not in body.lower()
    assert rita_lead_id not in page.content()
    expect(page.get_by_role("link", name="Open Dana Scully")).to_have_count(0)
