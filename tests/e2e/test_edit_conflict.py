"""Two people edit one lead at once (two browser contexts): the first saver's value is never lost."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import text

from core.db import transaction
from crm.actors import SYSTEM_ACTOR, actor_from_user
from crm.leads import create_lead
from crm.users import NewUser, create_user
from tests.e2e.conftest import IDLE, VIEWPORT, open_page, sign_in, wait_idle

PASSWORD = "correct-horse-battery"
PHONE = "+1 415 555 0100"


def _seed(engine) -> None:
    with transaction(engine) as session:
        create_user(
            session=session,
            data=NewUser(email="conflict.maya@example.com", password=PASSWORD, role="manager", name="Maya Manager"),
            actor=SYSTEM_ACTOR,
        )
        rep = create_user(
            session=session,
            data=NewUser(
                email="conflict.leo@example.com",
                password=PASSWORD,
                role="rep",
                name="Leo Rep",
                manager_email="conflict.maya@example.com",
            ),
            actor=SYSTEM_ACTOR,
        )
        create_lead(
            session=session,
            data={
                "first_name": "Jane",
                "last_name": "Conflict",
                "email": "jane.conflict@example.com",
                "company": "Acme",
            },
            actor=actor_from_user(rep),
        )


def _open_edit(context, base: str, email: str):
    page = context.new_page()
    page.goto(base)
    wait_idle(page)
    sign_in(page, email, PASSWORD)
    open_page(page, "Leads")
    page.get_by_text("Jane Conflict").click()
    wait_idle(page)
    page.get_by_role("button", name="Edit lead").click()
    wait_idle(page)
    expect(page.get_by_label("Phone")).to_have_value("")
    return page


def _save(page) -> None:
    page.get_by_role("button", name="Save changes").click()
    wait_idle(page)


def test_a_conflict_and_reload_never_lose_the_first_savers_value(clean_db, chromium, app_server, screenshot_dir):
    _seed(clean_db)
    maya_context = chromium.new_context(viewport=VIEWPORT)
    leo_context = chromium.new_context(viewport=VIEWPORT)
    try:
        maya = _open_edit(maya_context, app_server, "conflict.maya@example.com")
        leo = _open_edit(leo_context, app_server, "conflict.leo@example.com")

        maya.get_by_label("Phone").fill(PHONE)
        _save(maya)
        expect(maya.get_by_text("Lead saved.")).to_be_visible()

        leo.get_by_label("Job title").fill("VP Sales")
        _save(leo)
        expect(leo.get_by_text("changed by Maya Manager")).to_be_visible()
        leo.get_by_role("button", name="Reload").click()
        wait_idle(leo)
        leo.wait_for_selector(IDLE)
        expect(leo.get_by_label("Phone")).to_have_value(PHONE)  # the stored record, not the stale form
        expect(leo.get_by_label("Job title")).to_have_value("")
        expect(leo.get_by_text("Yours: VP Sales")).to_be_visible()
        leo.screenshot(path=str(screenshot_dir / "edit-conflict-reloaded.png"), full_page=True)

        leo.get_by_role("button", name="Use mine").click()
        wait_idle(leo)
        expect(leo.get_by_label("Job title")).to_have_value("VP Sales")
        expect(leo.get_by_label("Phone")).to_have_value(PHONE)
        _save(leo)
        expect(leo.get_by_text("Lead saved.")).to_be_visible()
    finally:
        maya_context.close()
        leo_context.close()

    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT phone, title FROM leads")).one() == (PHONE, "VP Sales")
