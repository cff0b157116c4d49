"""The Leads page: list, search, create, detail, edit, convert, permissions (AppTest)."""

from __future__ import annotations

from sqlalchemy import text

from core.db import transaction
from crm.leads import create_lead, update_lead


def _lead(engine, actor, **fields):
    data = {"first_name": "John", "last_name": "Doe", "email": "john.doe@example.com", "company": "Acme", **fields}
    with transaction(engine) as session:
        return create_lead(session=session, data=data, actor=actor)


def _names(at):
    return [
        b.label.removeprefix(":blue[").removesuffix("]") for b in at.button if b.key and b.key.startswith("open_lead_")
    ]


def _click_name(at, name):
    next(b for b in at.button if b.key and b.key.startswith("open_lead_") and b.label == f":blue[{name}]").click().run()
    return at


def test_rep_sees_only_own_leads_with_the_total(clean_db, people, app_as):
    _lead(clean_db, people["leo"])
    _lead(clean_db, people["rita"], first_name="Rita's", last_name="Lead", email="other@example.com")
    at = app_as(people["leo"], "pages/leads.py")
    assert not at.exception
    assert _names(at) == ["John Doe"]
    assert "of 1 lead ·" in at.caption[-1].value


def test_search_filters_the_list_and_goes_into_the_url(clean_db, people, app_as):
    _lead(clean_db, people["leo"])
    _lead(clean_db, people["leo"], first_name="Jane", last_name="Roe", email="jane.roe@example.com", company="Globex")
    at = app_as(people["leo"], "pages/leads.py")
    assert sorted(_names(at)) == ["Jane Roe", "John Doe"]
    at.text_input(key="leads_q").input("jane.roe@example.com")
    at.button(key="leads_search_submit").click().run()
    assert _names(at) == ["Jane Roe"]
    assert at.query_params["q"] == "jane.roe@example.com"


def test_filters_from_a_shared_link_are_applied(clean_db, people, app_as):
    _lead(clean_db, people["leo"], status="qualified")
    _lead(clean_db, people["leo"], first_name="Jane", last_name="Roe", email="jane.roe@example.com")
    at = app_as(people["maya"], "pages/leads.py", status="qualified")
    assert at.selectbox(key="leads_status").value == "qualified"
    assert _names(at) == ["John Doe"]


def test_paging_shows_the_total_and_moves_to_the_next_page(clean_db, people, app_as):
    for i in range(30):
        _lead(clean_db, people["leo"], first_name=f"P{i:02d}", email=f"p{i}@example.com", engagement_score=i)
    at = app_as(people["leo"], "pages/leads.py")
    assert len(_names(at)) == 25
    assert "Showing 1–25 of 30 leads" in at.caption[-1].value
    at.button(key="leads_next").click().run()
    assert len(_names(at)) == 5
    assert at.query_params["page"] == "2"
    assert at.button(key="leads_next").disabled


def test_new_lead_with_a_bad_email_names_the_field_and_saves_nothing(clean_db, people, app_as):
    at = app_as(people["leo"], "pages/leads.py")
    at.button(key="new_lead_open_button").click().run()
    at.text_input(key="new_last_name").input("Doe")
    at.text_input(key="new_email").input("not-an-email")
    at.button(key="new_lead_submit").click().run()
    assert [e.value for e in at.error] == ["Email: not a valid email address"]
    with clean_db.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM leads")) == 0


def test_a_blank_last_name_reads_the_same_on_create_and_edit(clean_db, people, app_as):
    at = app_as(people["leo"], "pages/leads.py")
    at.button(key="new_lead_open_button").click().run()
    at.text_input(key="new_email").input("ada@example.com")
    at.text_input(key="new_company").input("x" * 201)
    at.button(key="new_lead_submit").click().run()
    assert [e.value for e in at.error] == ["Last name: is required; Company: at most 200 characters"]
    lead = _lead(clean_db, people["leo"])
    edit = app_as(people["leo"], "pages/leads.py", id=str(lead.id))
    edit.button(key="lead_open_edit").click().run()
    edit.text_input(key="edit_last_name_v1").input("")
    edit.button(key="edit_submit_v1").click().run()
    assert [e.value for e in edit.error] == ["Last name: is required"]


def test_new_lead_is_saved_and_opened(clean_db, people, app_as):
    at = app_as(people["leo"], "pages/leads.py")
    at.button(key="new_lead_open_button").click().run()
    at.text_input(key="new_first_name").input("Ada")
    at.text_input(key="new_last_name").input("Lovelace")
    at.text_input(key="new_email").input("ada@example.com")
    at.button(key="new_lead_submit").click().run()
    assert not at.error
    assert [s.value for s in at.success] == ["Lead Ada Lovelace created."]
    assert at.title[0].value == "Ada Lovelace"
    with clean_db.connect() as conn:
        assert conn.scalar(text("SELECT owner_id FROM leads WHERE email = 'ada@example.com'")) == people["leo"].id


def test_duplicate_email_links_the_existing_lead(clean_db, people, app_as):
    existing = _lead(clean_db, people["leo"])
    at = app_as(people["leo"], "pages/leads.py")
    at.button(key="new_lead_open_button").click().run()
    at.text_input(key="new_last_name").input("Other")
    at.text_input(key="new_email").input("JOHN.DOE@example.com")
    at.button(key="new_lead_submit").click().run()
    assert "already exists" in at.error[0].value
    link = at.get("page_link")[0].proto
    assert link.label == "Open the existing lead"
    assert str(existing.id) in link.query_string


def test_a_reps_duplicate_warning_names_no_other_reps_lead(clean_db, people, app_as):
    theirs = _lead(clean_db, people["rita"], phone="+1 555 0100 200")
    at = app_as(people["leo"], "pages/leads.py")
    at.button(key="new_lead_open_button").click().run()
    at.text_input(key="new_first_name").input("John")
    at.text_input(key="new_last_name").input("Doe")
    at.text_input(key="new_company").input("Acme")
    at.text_input(key="new_email").input("jd@other.example.com")
    at.button(key="new_lead_submit").click().run()
    assert [w.value for w in at.warning] == ["A similar lead exists, owned by someone else — ask your manager."]
    assert not at.dataframe and not at.get("page_link")
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.warning, *at.error])
    assert "john.doe@example.com" not in shown and str(theirs.id) not in shown
    at.button(key="new_lead_confirm").click().run()  # a different person after all: saving stays possible
    assert [s.value for s in at.success] == ["Lead John Doe created."]
    manager = app_as(people["maya"], "pages/leads.py")  # their manager sees the team's duplicate
    manager.button(key="new_lead_open_button").click().run()
    manager.text_input(key="new_last_name").input("Doe")
    manager.text_input(key="new_company").input("Acme")
    manager.text_input(key="new_email").input("third@example.com")
    manager.button(key="new_lead_submit").click().run()
    assert sorted(manager.dataframe[0].value["Email"]) == ["jd@other.example.com", "john.doe@example.com"]


def test_a_duplicate_email_of_another_reps_lead_is_refused_without_naming_it(clean_db, people, app_as):
    theirs = _lead(clean_db, people["rita"])
    at = app_as(people["leo"], "pages/leads.py")
    at.button(key="new_lead_open_button").click().run()
    at.text_input(key="new_last_name").input("Other")
    at.text_input(key="new_email").input("john.doe@example.com")
    at.button(key="new_lead_submit").click().run()
    assert [e.value for e in at.error] == [
        "A lead with email john.doe@example.com already exists, owned by someone else — ask your manager."
    ]
    assert not at.get("page_link") and str(theirs.id) not in at.error[0].value


def test_possible_duplicate_is_shown_with_its_match_score_before_saving(clean_db, people, app_as):
    _lead(clean_db, people["leo"], phone="+1 555 0100 200")
    at = app_as(people["leo"], "pages/leads.py")
    at.button(key="new_lead_open_button").click().run()
    at.text_input(key="new_first_name").input("Johnny")
    at.text_input(key="new_last_name").input("Doe")
    at.text_input(key="new_email").input("johnny@example.com")
    at.text_input(key="new_phone").input("(1) 555-0100-200")
    at.button(key="new_lead_submit").click().run()
    assert "may already exist" in at.warning[0].value
    table = at.dataframe[0].value
    assert table["Name"].tolist() == ["John Doe"]
    assert table["Match"].str.fullmatch(r"\d+%").all()
    assert "same phone" in table["Why"][0]
    with clean_db.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM leads")) == 1
    at.button(key="new_lead_confirm").click().run()
    assert [s.value for s in at.success] == ["Lead Johnny Doe created."]
    with clean_db.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM leads")) == 2


def test_detail_shows_status_in_title_case_and_explains_the_score(clean_db, people, app_as):
    _lead(clean_db, people["leo"], status="qualified", industry="Technology", engagement_score=85)
    at = app_as(people["leo"], "pages/leads.py")
    _click_name(at, "John Doe")
    assert at.query_params["id"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Status"] == "Qualified"
    markdown = " ".join(m.value for m in at.markdown)
    assert "Engagement: 51 of 60 points" in markdown
    assert "core market" in markdown


def test_edit_saves_and_a_stale_edit_says_who_changed_it(clean_db, people, app_as):
    lead = _lead(clean_db, people["leo"])
    at = app_as(people["leo"], "pages/leads.py", id=str(lead.id))
    at.button(key="lead_open_edit").click().run()
    with transaction(clean_db) as session:  # Maya edits the lead meanwhile
        update_lead(session=session, lead_id=lead.id, data={"title": "CTO"}, expected_version=1, actor=people["maya"])
    at.text_input(key="edit_company_v1").input("Acme Corp")
    at.button(key="edit_submit_v1").click().run()
    assert "changed by Maya Manager" in at.error[0].value and "reload" in at.error[0].value
    at.button(key="reload_stale_record").click().run()
    assert at.text_input(key="edit_title_v2").value == "CTO"
    assert at.text_input(key="edit_company_v2").value == "Acme"  # the stored value; Leo's edit is offered beside it
    at.button(key="lead_use_mine_company").click().run()
    assert at.text_input(key="edit_company_v2").value == "Acme Corp"
    at.button(key="edit_submit_v2").click().run()
    assert not at.error
    assert [s.value for s in at.success] == ["Lead saved."]
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT company, title FROM leads")).one() == ("Acme Corp", "CTO")


def test_reload_after_a_conflict_never_loses_the_first_savers_value(clean_db, people, app_as):
    lead = _lead(clean_db, people["leo"])
    leo = app_as(people["leo"], "pages/leads.py", id=str(lead.id))
    leo.button(key="lead_open_edit").click().run()
    with transaction(clean_db) as session:  # Maya saves a phone while Leo edits the title
        update_lead(
            session=session,
            lead_id=lead.id,
            data={"phone": "+1 415 555 0100"},
            expected_version=1,
            actor=people["maya"],
        )
    leo.text_input(key="edit_title_v1").input("VP Sales")
    leo.button(key="edit_submit_v1").click().run()
    assert "changed by Maya Manager" in leo.error[0].value
    leo.button(key="reload_stale_record").click().run()
    assert leo.text_input(key="edit_phone_v2").value == "+1 415 555 0100"
    assert leo.text_input(key="edit_title_v2").value == ""
    mine = " ".join(m.value for m in leo.markdown)
    assert "Yours: VP Sales" in mine and "Phone" not in mine  # only Leo's own edit is offered back
    leo.button(key="edit_submit_v2").click().run()  # saving the stored values as shown changes nothing
    assert [i.value for i in leo.info] == ["Nothing changed."]
    leo.button(key="lead_use_mine_title").click().run()
    leo.button(key="edit_submit_v2").click().run()
    assert [s.value for s in leo.success] == ["Lead saved."]
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT phone, title FROM leads")).one() == ("+1 415 555 0100", "VP Sales")


def test_only_qualified_leads_offer_conversion(clean_db, people, app_as):
    lead = _lead(clean_db, people["leo"], status="contacted")
    at = app_as(people["leo"], "pages/leads.py", id=str(lead.id))
    assert at.button(key="lead_open_convert").disabled
    assert any("Only qualified leads can be converted" in c.value for c in at.caption)


def test_converting_opens_the_new_opportunity(clean_db, people, app_as):
    lead = _lead(clean_db, people["leo"], status="qualified")
    at = app_as(people["leo"], "pages/leads.py", id=str(lead.id))
    at.button(key="lead_open_convert").click().run()
    at.text_input(key="convert_name").input("Acme platform deal")
    at.number_input(key="convert_amount").set_value(50000.0)
    at.selectbox(key="convert_stage").set_value("discovery")
    at.button(key="convert_submit").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["Opportunity created successfully"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Stage"] == "Discovery"
    assert metrics["Amount"] == "50,000 USD"
    with clean_db.connect() as conn:
        opp_id = conn.scalar(text("SELECT id FROM opportunities WHERE lead_id = :id"), {"id": lead.id})
    assert at.query_params["id"] == str(opp_id)


def test_rep_cannot_open_another_reps_lead(clean_db, people, app_as):
    lead = _lead(clean_db, people["rita"])
    at = app_as(people["leo"], "pages/leads.py", id=str(lead.id))
    assert [e.value for e in at.error] == ["Permission denied."]
    assert not at.metric


def test_analyst_reads_leads_but_sees_no_forms_or_buttons_to_change_them(clean_db, people, app_as):
    lead = _lead(clean_db, people["leo"], status="qualified")
    at = app_as(people["sam"], "pages/leads.py")
    assert _names(at) == ["John Doe"]
    assert not [b for b in at.button if b.key == "new_lead_open_button"]
    _click_name(at, "John Doe")
    assert at.metric[0].value == "Qualified"
    assert not [b for b in at.button if b.key and b.key.startswith("lead_open_")]
    assert not at.get("form")
    assert at.query_params["id"] == str(lead.id)


def test_names_are_shown_as_text_not_markup(clean_db, people, app_as):
    lead = _lead(clean_db, people["leo"], first_name="**Bold**", last_name="<b>x</b>")
    at = app_as(people["leo"], "pages/leads.py", id=str(lead.id))
    assert at.title[0].value == r"\*\*Bold\*\* \<b\>x\</b\>"


def test_status_change_is_saved_and_shown(clean_db, people, app_as):
    lead = _lead(clean_db, people["leo"])
    at = app_as(people["leo"], "pages/leads.py", id=str(lead.id))
    at.button(key="lead_open_status").click().run()
    at.selectbox(key="status_choice").set_value("qualified")
    at.button(key="status_submit").click().run()
    assert [s.value for s in at.success] == ["Status changed to Qualified."]
    assert at.metric[0].value == "Qualified"
    assert not at.button(key="lead_open_convert").disabled


def test_merging_a_duplicate_keeps_one_lead_with_both_details(clean_db, people, app_as):
    keep = _lead(clean_db, people["leo"], phone="+1 555 0100 200")
    _lead(clean_db, people["leo"], first_name="Johnny", email="johnny.d@example.com", phone="15550100200", title="CTO")
    at = app_as(people["leo"], "pages/leads.py", id=str(keep.id))
    at.button(key="lead_open_merge").click().run()
    assert "Johnny Doe" in at.radio(key="merge_choice").options[0]
    at.button(key="merge_submit").click().run()
    assert [s.value for s in at.success] == ["Johnny Doe merged into this lead."]
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT email, title FROM leads")).all() == [("john.doe@example.com", "CTO")]


def test_manager_reassigns_a_lead_to_another_rep_on_the_team(clean_db, people, app_as):
    lead = _lead(clean_db, people["leo"])
    at = app_as(people["maya"], "pages/leads.py", id=str(lead.id))
    at.button(key="lead_open_edit").click().run()
    at.selectbox(key="edit_owner_id_v1").set_value(people["rita"].id)
    at.button(key="edit_submit_v1").click().run()
    assert {m.label: m.value for m in at.metric}["Owner"] == "Rita Rep"
    rep_view = app_as(people["leo"], "pages/leads.py", id=str(lead.id))
    assert [e.value for e in rep_view.error] == ["Permission denied."]


def test_a_page_past_the_end_offers_the_first_page(clean_db, people, app_as):
    _lead(clean_db, people["leo"])
    at = app_as(people["leo"], "pages/leads.py", page="9")
    assert at.info[0].value == "This page is past the last one."
    at.button(key="leads_first_page").click().run()
    assert _names(at) == ["John Doe"]
    assert "page" not in at.query_params


def test_an_open_panel_does_not_follow_you_to_another_lead(clean_db, people, app_as):
    first = _lead(clean_db, people["leo"])
    second = _lead(clean_db, people["leo"], first_name="Jane", last_name="Roe", email="jane.roe@example.com")
    at = app_as(people["leo"], "pages/leads.py", id=str(first.id))
    at.button(key="lead_open_edit").click().run()
    assert at.text_input(key="edit_first_name_v1").value == "John"
    at.query_params["id"] = str(second.id)
    at.run()
    assert at.title[0].value == "Jane Roe"
    assert not at.get("form")


def test_a_reps_list_says_why_each_lead_scores_as_it_does(clean_db, people, app_as):
    _lead(clean_db, people["leo"], engagement_score=90, title="VP Sales")
    at = app_as(people["leo"], "pages/leads.py")
    assert "**Mostly because**" in [m.value for m in at.markdown]
    assert any(c.value.startswith("high engagement \\(90/100\\); ") for c in at.caption)
    manager_view = app_as(people["maya"], "pages/leads.py")
    assert "**Owner**" in [m.value for m in manager_view.markdown]


def test_a_reps_list_puts_open_leads_before_unqualified_ones_and_a_manager_sees_by_score(clean_db, people, app_as):
    una = _lead(clean_db, people["leo"], first_name="Una", last_name="Done", email="una@e.com", engagement_score=95)
    _lead(clean_db, people["leo"], first_name="Otto", last_name="Open", email="otto@e.com", engagement_score=10)
    ulla = _lead(clean_db, people["leo"], first_name="Ulla", last_name="Gone", email="ulla@e.com")
    for lead in (una, ulla):
        with transaction(clean_db) as session:
            update_lead(
                session=session, lead_id=lead.id, data={"status": "unqualified"}, expected_version=lead.version,
                actor=people["leo"],
            )  # fmt: skip
    rep = app_as(people["leo"], "pages/leads.py")
    assert not rep.exception
    assert _names(rep)[0] == "Otto Open"  # the open lead first, though it scores lowest
    assert set(_names(rep)[1:]) == {"Una Done", "Ulla Gone"}
    assert "sort" not in rep.query_params  # the rep's default order stays out of the URL
    boss = app_as(people["maya"], "pages/leads.py")
    assert _names(boss)[0] == "Una Done"  # everyone else: highest score first
