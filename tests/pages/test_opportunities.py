"""The Opportunities page: list by role, stage changes with reasons, version-checked edits (AppTest)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import text

from core.db import transaction
from crm.leads import create_lead
from crm.opportunities import change_stage, convert_lead, update_opportunity


def _deal(engine, actor, email="john.doe@example.com", stage="discovery", name="Acme deal"):
    with transaction(engine) as session:
        lead = create_lead(
            session=session,
            data={"last_name": "Doe", "email": email, "company": "Acme", "status": "qualified"},
            actor=actor,
        )
        return convert_lead(
            session=session,
            lead_id=lead.id,
            data={"name": name, "amount": Decimal("1000"), "stage": stage, "expected_close_date": date(2027, 3, 1)},
            actor=actor,
        )


def _deal_names(at):
    return sorted(b.label[len(":blue[") : -1] for b in at.button if b.key and b.key.startswith("open_opp_"))


def test_list_holds_own_deals_for_a_rep_and_the_team_for_a_manager(clean_db, people, app_as):
    _deal(clean_db, people["leo"], name="Leo deal")
    _deal(clean_db, people["rita"], email="r@example.com", name="Rita deal")
    assert _deal_names(app_as(people["leo"], "pages/opportunities.py")) == ["Leo deal"]
    assert _deal_names(app_as(people["maya"], "pages/opportunities.py")) == ["Leo deal", "Rita deal"]


def test_clicking_a_deal_opens_it_with_its_stage_in_title_case(clean_db, people, app_as):
    opp = _deal(clean_db, people["leo"])
    at = app_as(people["leo"], "pages/opportunities.py")
    at.button(key=f"open_opp_{opp.id}").click().run()
    assert at.query_params["id"] == str(opp.id)
    assert {m.label: m.value for m in at.metric}["Stage"] == "Discovery"
    assert any("by Leo Rep — converted from lead; no changes since" in c.value for c in at.caption)


def test_moving_back_a_stage_needs_a_reason(clean_db, people, app_as):
    opp = _deal(clean_db, people["leo"], stage="proposal")
    at = app_as(people["leo"], "pages/opportunities.py", id=str(opp.id))
    at.button(key="opp_open_stage").click().run()
    at.selectbox(key=f"stage_to_v{opp.version}").set_value("discovery")
    at.button(key=f"stage_submit_v{opp.version}").click().run()
    assert [e.value for e in at.error] == ["Moving back from Proposal to Discovery needs a reason"]
    at.text_area(key=f"stage_reason_v{opp.version}").input("Budget review reopened scoping")
    at.button(key=f"stage_submit_v{opp.version}").click().run()
    assert not at.error
    assert [s.value for s in at.success] == ["Stage changed to Discovery."]
    assert at.dataframe[0].value["Reason"].tolist()[0] == "Budget review reopened scoping"


def test_closing_as_lost_needs_a_lost_reason(clean_db, people, app_as):
    opp = _deal(clean_db, people["leo"])
    at = app_as(people["leo"], "pages/opportunities.py", id=str(opp.id))
    at.button(key="opp_open_stage").click().run()
    at.selectbox(key=f"stage_to_v{opp.version}").set_value("closed_lost")
    at.button(key=f"stage_submit_v{opp.version}").click().run()
    assert [e.value for e in at.error] == ["Closing a deal as lost needs a lost reason"]
    at.selectbox(key=f"stage_lost_reason_v{opp.version}").set_value("competitor")
    at.button(key=f"stage_submit_v{opp.version}").click().run()
    assert {m.label: m.value for m in at.metric}["Stage"] == "Closed Lost"
    with clean_db.connect() as conn:
        assert conn.scalar(text("SELECT lost_reason FROM opportunities")) == "competitor"


def test_amount_edit_is_refused_when_someone_changed_the_deal(clean_db, people, app_as):
    opp = _deal(clean_db, people["leo"])
    at = app_as(people["leo"], "pages/opportunities.py", id=str(opp.id))
    at.button(key="opp_open_edit").click().run()
    with transaction(clean_db) as session:
        update_opportunity(
            session=session, opportunity_id=opp.id, data={"amount": "2000"}, expected_version=opp.version,
            actor=people["maya"],
        )  # fmt: skip
    at.number_input(key=f"oppedit_amount_v{opp.version}").set_value(5000.0)
    at.button(key=f"oppedit_submit_v{opp.version}").click().run()
    assert "changed by Maya Manager" in at.error[0].value
    with clean_db.connect() as conn:
        assert conn.scalar(text("SELECT amount FROM opportunities")) == Decimal("2000.00")
    at.button(key="reload_stale_record").click().run()
    now = opp.version + 1
    assert at.number_input(key=f"oppedit_amount_v{now}").value == 2000.0  # the stored amount
    assert "Yours: 5,000.00" in " ".join(m.value for m in at.markdown)
    at.button(key="opp_use_mine_amount").click().run()
    assert at.number_input(key=f"oppedit_amount_v{now}").value == 5000.0
    at.button(key=f"oppedit_submit_v{now}").click().run()
    assert [s.value for s in at.success] == ["Opportunity saved."]
    with clean_db.connect() as conn:
        assert conn.scalar(text("SELECT amount FROM opportunities")) == Decimal("5000.00")


def _close_as_won(engine, opp, actor):
    with transaction(engine) as session:
        return change_stage(
            session=session, opportunity_id=opp.id, to_stage="closed_won", expected_version=opp.version, actor=actor
        )


def test_a_closed_deal_offers_a_rep_no_forms_only_who_may_reopen_it(clean_db, people, app_as):
    won = _close_as_won(clean_db, _deal(clean_db, people["leo"]), people["leo"])
    at = app_as(people["leo"], "pages/opportunities.py", id=str(won.id))
    assert not [b for b in at.button if b.key and b.key.startswith("opp_open_")]
    assert not at.get("form")
    assert [i.value for i in at.info] == [
        "This deal is Closed Won. Only a manager or an admin can reopen or edit a closed deal."
    ]


def test_a_manager_reopens_a_closed_deal_with_a_reason(clean_db, people, app_as):
    won = _close_as_won(clean_db, _deal(clean_db, people["leo"]), people["leo"])
    at = app_as(people["maya"], "pages/opportunities.py", id=str(won.id))
    assert at.button(key="opp_open_stage").label == "Reopen or change outcome"
    assert not at.button(key="opp_open_edit").disabled
    at.button(key="opp_open_stage").click().run()
    at.selectbox(key=f"stage_to_v{won.version}").set_value("negotiation")
    at.text_area(key=f"stage_reason_v{won.version}").input("Signed order was withdrawn")
    at.button(key=f"stage_submit_v{won.version}").click().run()
    assert [s.value for s in at.success] == ["Stage changed to Negotiation."]


def test_analyst_sees_deals_without_change_buttons(clean_db, people, app_as):
    opp = _deal(clean_db, people["leo"])
    at = app_as(people["sam"], "pages/opportunities.py", id=str(opp.id))
    assert {m.label: m.value for m in at.metric}["Stage"] == "Discovery"
    assert not [b for b in at.button if b.key and b.key.startswith("opp_open_")]


def test_rep_cannot_open_another_reps_deal(clean_db, people, app_as):
    opp = _deal(clean_db, people["rita"])
    at = app_as(people["leo"], "pages/opportunities.py", id=str(opp.id))
    assert [e.value for e in at.error] == ["Permission denied."]


def test_manager_filters_the_team_list_by_owner_through_the_url(clean_db, people, app_as):
    _deal(clean_db, people["leo"], name="Leo deal")
    _deal(clean_db, people["rita"], email="r@example.com", name="Rita deal")
    at = app_as(people["maya"], "pages/opportunities.py")
    at.selectbox(key="opps_owner").set_value(people["rita"].id).run()
    assert _deal_names(at) == ["Rita deal"]
    assert at.query_params["owner"] == str(people["rita"].id)
    assert _deal_names(app_as(people["maya"], "pages/opportunities.py", owner=str(people["leo"].id))) == ["Leo deal"]


def test_open_deals_past_their_close_date_are_flagged_overdue_and_closed_ones_not(clean_db, people, app_as):
    from sqlalchemy import text

    late = _deal(clean_db, people["leo"], name="Late deal")
    won = _deal(clean_db, people["leo"], email="w@example.com", name="Won deal", stage="negotiation")
    with clean_db.begin() as conn:
        conn.execute(
            text("UPDATE opportunities SET expected_close_date = '2026-01-05' WHERE id IN (:a, :b)"),
            {"a": late.id, "b": won.id},
        )
        conn.execute(
            text("UPDATE opportunities SET stage = 'closed_won', closed_at = now() WHERE id = :b"), {"b": won.id}
        )
    at = app_as(people["leo"], "pages/opportunities.py", open="0")
    shown = [t.value for t in at.text]
    assert "2026-01-05 ⚠ overdue" in shown  # the open deal
    assert shown.count("2026-01-05") == 1  # the won deal: its date, no flag
