"""Staying signed in, in a real browser: reloads and new tabs keep the session, sign-out ends it everywhere,
and a shared link opens its own page with its filters after signing in (a rep and a manager)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from core.db import transaction
from crm.actors import SYSTEM_ACTOR
from crm.users import NewUser, create_user
from tests.e2e.conftest import VIEWPORT, sign_in, wait_idle
from tests.e2e.test_drilldown import _publish_tiny_warehouse

PASSWORD = "correct-horse-battery"
NAV = 'a[data-testid="stSidebarNavLink"]'


def _people(engine) -> None:
    with transaction(engine) as session:
        create_user(
            session=session,
            data=NewUser(email="maya.s@example.com", password=PASSWORD, role="manager", name="Maya Manager"),
            actor=SYSTEM_ACTOR,
        )
        create_user(
            session=session,
            data=NewUser(
                email="leo.s@example.com",
                password=PASSWORD,
                role="rep",
                name="Leo Rep",
                manager_email="maya.s@example.com",
            ),
            actor=SYSTEM_ACTOR,
        )


def _signed_in_as(page, name: str) -> None:
    expect(page.locator(NAV).first).to_be_visible()
    expect(page.get_by_text(f"Signed in as {name}")).to_be_visible()


def _signed_out(page) -> None:
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.locator(NAV)).to_have_count(0)


def test_reload_and_new_tab_keep_the_session_and_sign_out_ends_it(clean_db, browser_page, app_server):
    _people(clean_db)
    page = browser_page
    sign_in(page, "leo.s@example.com", PASSWORD)
    expect(page).to_have_url(f"{app_server}/leads")  # a rep lands on their Leads page, at its own address
    expect(page.get_by_role("heading", name="Leads").first).to_be_visible()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sales_session"]["httpOnly"] is True
    assert "sales_session" not in page.evaluate("document.cookie")  # scripts cannot read it

    page.reload()
    wait_idle(page)
    _signed_in_as(page, "Leo Rep")
    assert page.url == f"{app_server}/leads"

    other = page.context.new_page()
    other.goto(f"{app_server}/opportunities")
    wait_idle(other)
    _signed_in_as(other, "Leo Rep")

    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    _signed_out(page)
    page.reload()
    wait_idle(page)
    _signed_out(page)
    other.reload()  # the other tab's cookie names a session that has ended
    wait_idle(other)
    _signed_out(other)


def test_a_shared_link_opens_its_page_and_filters_after_sign_in(clean_db, chromium, app_server):
    _people(clean_db)
    _publish_tiny_warehouse()
    warm = chromium.new_context(viewport=VIEWPORT)  # a fresh server's first deep link can miss the router
    warm_page = warm.new_page()
    warm_page.goto(app_server)
    wait_idle(warm_page)
    warm.close()

    for email, link, expected in (
        ("leo.s@example.com", "/leads?q=acme&status=qualified", ("/leads?", "q=acme", "status=qualified")),
        (
            "maya.s@example.com",
            "/pipeline?from=2026-01-01&to=2026-03-31&source=event",
            ("/pipeline?", "from=2026-01-01", "to=2026-03-31", "source=event"),
        ),
    ):
        context = chromium.new_context(viewport=VIEWPORT)
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            page.goto(f"{app_server}{link}")
            wait_idle(page)
            sign_in(page, email, PASSWORD)
            for part in expected:
                assert part in page.url, (part, page.url)
            if link.startswith("/leads"):
                expect(page.get_by_label("Search")).to_have_value("acme")
            else:
                expect(page.get_by_role("heading", name="Pipeline").first).to_be_visible()
                chip = page.get_by_role("button", name=re.compile(r"^Remove event$", re.IGNORECASE))
                expect(chip).to_be_visible()  # the chosen source, as a chip of the Source filter
            page.reload()  # and the shared view survives a reload too
            wait_idle(page)
            for part in expected:
                assert part in page.url, (part, page.url)
        finally:
            context.close()
