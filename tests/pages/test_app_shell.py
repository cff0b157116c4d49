"""Sign-in, sign-out and navigation by role (AppTest)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.version import __version__
from tests.pages.conftest import APP, PASSWORD
from ui.session import SESSION_KEY

SIGN_IN_FORM = "from ui.signin import sign_in_form\nsign_in_form()\n"


def _sign_in(email: str, password: str) -> AppTest:
    # The form alone: AppTest loses clicks on main-script widgets once st.navigation has run
    # (a real browser does not; tests/e2e/test_sign_in.py signs in through the whole app).
    at = AppTest.from_string(SIGN_IN_FORM, default_timeout=30).run()
    at.text_input(key="signin_email").input(email)
    at.text_input(key="signin_password").input(password)
    at.button(key="FormSubmitter:sign_in-Sign in").click().run()
    return at


def test_sign_in_form_has_email_password_and_sign_in(clean_db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert __version__ in at.caption[-1].value


def test_sign_in_with_the_right_password_opens_the_app(clean_db, people):
    at = _sign_in("leo@example.com", PASSWORD)
    assert not at.error
    assert at.session_state[SESSION_KEY].email == "leo@example.com"


def test_a_rep_lands_on_their_leads(clean_db, people, app_as):
    assert app_as(people["leo"]).title[0].value == "Leads"


def test_a_manager_lands_on_the_overview(clean_db, people, app_as):
    assert app_as(people["maya"]).title[0].value == "Overview"


def test_wrong_password_gets_the_generic_message(clean_db, people):
    at = _sign_in("leo@example.com", "wrong-password")
    assert [e.value for e in at.error] == ["Email or password is incorrect"]
    assert SESSION_KEY not in at.session_state


def test_repeated_failures_are_throttled(clean_db, people):
    for _ in range(5):
        _sign_in("leo@example.com", "wrong-password")
    at = _sign_in("leo@example.com", PASSWORD)
    assert "Too many failed sign-ins" in at.error[0].value
    assert SESSION_KEY not in at.session_state


@pytest.mark.parametrize("who", ["leo", "maya", "sam"])
def test_admin_pages_are_not_in_the_navigation_of_non_admins(clean_db, people, app_as, who):
    at = app_as(people[who])
    for page in ("pages/users.py", "pages/territories.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_admin_pages_open_for_admins(clean_db, people, app_as):
    at = app_as(people["ana"], "pages/users.py")
    assert not at.exception
    assert at.title[0].value == "Users"
