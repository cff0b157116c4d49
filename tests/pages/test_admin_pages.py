"""Users and Territories pages (admins only): create, change role, deactivate, rule preview then apply."""

from __future__ import annotations

from sqlalchemy import text

from core.db import transaction
from crm.leads import create_lead
from crm.territories import create_territory


def test_admin_creates_a_user_and_a_bad_email_names_the_field(clean_db, people, app_as):
    at = app_as(people["ana"], "pages/users.py")
    at.text_input(key="nu_email_0").input("nope")
    at.text_input(key="nu_password_0").input("long-enough-pw")
    at.button(key="nu_submit_0").click().run()
    assert at.error[0].value.startswith("Email: not a valid email address")
    at.text_input(key="nu_email_0").input("new.rep@example.com")
    at.text_input(key="nu_name_0").input("New Rep")
    at.selectbox(key="nu_manager_0").set_value("maya@example.com")
    at.button(key="nu_submit_0").click().run()
    assert [s.value for s in at.success] == ["User new.rep@example.com created."]
    assert "New Rep" in at.dataframe[0].value["Name"].tolist()
    assert at.text_input(key="nu_password_1").value == "" and at.text_input(key="nu_email_1").value == ""
    assert "long-enough-pw" not in [t.value for t in at.text_input]  # the password is gone from the form
    with clean_db.connect() as conn:
        assert conn.scalar(text("SELECT role FROM users WHERE email = 'new.rep@example.com'")) == "rep"


def test_admin_changes_a_role_and_deactivates_a_user(clean_db, people, app_as):
    at = app_as(people["ana"], "pages/users.py")
    at.selectbox(key="mu_user").set_value(people["sam"].id).run()
    at.selectbox(key="mu_role_v").set_value("manager")
    at.button(key="mu_role_submit").click().run()
    assert [s.value for s in at.success] == ["Role changed."]
    at.selectbox(key="mu_user").set_value(people["sam"].id).run()
    at.button(key="mu_active_submit").click().run()
    assert [s.value for s in at.success] == ["User deactivated."]
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT role, is_active FROM users WHERE email = 'sam@example.com'")).one() == (
            "manager",
            False,
        )


def test_a_password_reset_empties_the_password_field(clean_db, people, app_as):
    at = app_as(people["ana"], "pages/users.py")
    at.selectbox(key="mu_user").set_value(people["sam"].id).run()
    at.text_input(key="mu_password_v0").input("a-new-long-password")
    at.button(key="mu_password_submit_0").click().run()
    assert [s.value for s in at.success] == ["Password reset."]
    assert at.text_input(key="mu_password_v1").value == ""
    assert "a-new-long-password" not in [t.value for t in at.text_input]


def test_non_admin_opening_the_users_script_is_refused(clean_db, people):
    from streamlit.testing.v1 import AppTest

    from ui.session import SESSION_KEY

    at = AppTest.from_file("../../pages/users.py", default_timeout=30)
    at.session_state[SESSION_KEY] = people["maya"]
    at.run()
    assert [e.value for e in at.error] == ["This page is for admins."]
    assert not at.dataframe


def test_rule_change_is_previewed_before_it_is_applied(clean_db, people, app_as):
    with transaction(clean_db) as session:
        emea = create_territory(session=session, name="EMEA", region="EMEA", actor=people["ana"])
        for i in range(3):
            create_lead(
                session=session,
                data={"last_name": f"L{i}", "email": f"l{i}@example.com", "country": "DE"},
                actor=people["leo"],
            )
    at = app_as(people["ana"], "pages/territories.py")
    key = f"rules_{emea.id}_{emea.version}"
    at.session_state[key] = {"edited_rows": {0: {"countries": "DE, FR"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not [b for b in at.button if b.key == "terr_apply"]
    at.button(key="terr_preview").click().run()
    assert at.info[0].value == "3 of 3 open leads would move."
    with clean_db.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM leads WHERE territory_id IS NOT NULL")) == 0
    at.button(key="terr_apply").click().run()
    assert [s.value for s in at.success] == ["EMEA: rules saved; 3 open leads moved."]
    with clean_db.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM leads WHERE territory_id = :t"), {"t": emea.id}) == 3


def test_a_user_name_with_markdown_shows_literally(clean_db, people, app_as):
    name = "**x** [link](http://e)"
    with clean_db.begin() as conn:
        conn.execute(text("UPDATE users SET name = :name WHERE email = 'sam@example.com'"), {"name": name})
    at = app_as(people["ana"], "pages/users.py")
    at.selectbox(key="mu_user").set_value(people["sam"].id).run()
    captions = [c.value for c in at.caption if c.value.endswith(" is active.")]
    assert captions == [r"\*\*x\*\* \[link\]\(http\://e\) is active."]
