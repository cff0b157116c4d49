"""Sign-in and sign-out in a real browser; admins alone see the Admin section."""

from __future__ import annotations

from playwright.sync_api import expect

from core.db import transaction
from crm.actors import SYSTEM_ACTOR
from crm.users import NewUser, create_user
from tests.e2e.conftest import sign_in, wait_idle

PASSWORD = "correct-horse-battery"


def test_wrong_password_then_sign_in_and_out(clean_db, browser_page):
    with transaction(clean_db) as session:
        create_user(
            session=session,
            data=NewUser(email="e2e.admin@example.com", password=PASSWORD, role="admin"),
            actor=SYSTEM_ACTOR,
        )
    page = browser_page
    page.get_by_label("Email").fill("e2e.admin@example.com")
    page.get_by_role("textbox", name="Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    wait_idle(page)
    expect(page.get_by_text("Email or password is incorrect")).to_be_visible()

    sign_in(page, "e2e.admin@example.com", PASSWORD)
    nav = page.locator('a[data-testid="stSidebarNavLink"]')
    expect(nav.filter(has_text="Users")).to_be_visible()
    expect(nav.filter(has_text="Territories")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(nav).to_have_count(0)


def test_a_shared_link_opens_its_view_after_signing_in(clean_db, browser_page, app_server):
    with transaction(clean_db) as session:
        create_user(
            session=session,
            data=NewUser(email="e2e.viewer@example.com", password=PASSWORD, role="analyst"),
            actor=SYSTEM_ACTOR,
        )
    page = browser_page
    page.goto(f"{app_server}/leads?q=acme&status=qualified")
    wait_idle(page)
    sign_in(page, "e2e.viewer@example.com", PASSWORD)
    expect(page.get_by_label("Search")).to_have_value("acme")
    assert "/leads?" in page.url and "status=qualified" in page.url
