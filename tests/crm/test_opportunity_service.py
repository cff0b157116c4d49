from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.audit import audit_trail
from crm.errors import DomainError, InvalidStageTransition, PermissionDenied
from crm.leads import create_lead, update_lead
from crm.opportunities import (
    change_stage,
    convert_lead,
    get_opportunity,
    list_opportunities,
    stage_timeline,
    update_opportunity,
)
from models import Account, Lead, Opportunity, OpportunityStageHistory

CONVERSION = {"name": "Acme expansion", "amount": "25000", "stage": "discovery", "expected_close_date": "2027-03-31"}


@pytest.fixture
def session(rollback_session):
    """These tests never commit: roll back instead of truncating (fast)."""
    return rollback_session


def _qualified(session, actor, email="john@acme.com", **extra):
    data = {"first_name": "John", "last_name": "Doe", "email": email, "company": "Acme", "status": "qualified"}
    return create_lead(session=session, data={**data, **extra}, actor=actor)


def _opportunity(session, actor, **extra):
    lead = _qualified(session, actor, **extra)
    return convert_lead(session=session, lead_id=lead.id, data=CONVERSION, actor=actor)


def test_conversion_creates_account_opportunity_link_and_first_history_row(session, org):
    lead = _qualified(session, org.leo)
    opp = convert_lead(session=session, lead_id=lead.id, data=CONVERSION, actor=org.leo)
    session.refresh(lead)
    assert (lead.status, lead.converted_opportunity_id) == ("converted", opp.id)
    assert lead.converted_at is not None
    assert (opp.stage, opp.amount, opp.owner_id, opp.lead_id) == ("discovery", Decimal("25000.00"), org.leo.id, lead.id)
    assert (opp.probability, opp.forecast_category) == (Decimal("20"), "pipeline")
    assert session.get(Account, opp.account_id).domain == "acme.com"
    history = session.scalars(select(OpportunityStageHistory).where(OpportunityStageHistory.opportunity_id == opp.id))
    assert [(h.from_stage, h.to_stage, h.amount) for h in history] == [(None, "discovery", Decimal("25000.00"))]


def test_conversion_reuses_an_account_found_by_domain_or_name(session, org):
    first = _opportunity(session, org.leo, email="a@acme.com")
    second = _opportunity(session, org.leo, email="b@acme.com", company="ACME Inc")
    third = _opportunity(session, org.leo, email="c@gmail.com", company="acme")
    assert first.account_id == second.account_id == third.account_id
    assert session.scalar(select(func.count()).select_from(Account)) == 1


@pytest.mark.parametrize("status", ["new", "contacted", "unqualified"])
def test_only_qualified_leads_convert_with_a_message_saying_why(session, org, status):
    lead = _qualified(session, org.leo, status=status)
    with pytest.raises(DomainError, match="Only qualified leads can be converted") as err:
        convert_lead(session=session, lead_id=lead.id, data=CONVERSION, actor=org.leo)
    assert err.value.field == "status"
    assert session.scalar(select(func.count()).select_from(Opportunity)) == 0


def test_forward_moves_are_free_and_history_records_each_change(session, org):
    opp = _opportunity(session, org.leo)
    opp = change_stage(
        session=session, opportunity_id=opp.id, to_stage="negotiation", expected_version=1, actor=org.leo
    )
    assert (opp.stage, opp.probability, opp.forecast_category, opp.version) == ("negotiation", 75, "commit", 2)
    opp = change_stage(session=session, opportunity_id=opp.id, to_stage="closed_won", expected_version=2, actor=org.leo)
    assert opp.closed_at is not None and opp.probability == 100
    timeline = stage_timeline(session=session, opportunity_id=opp.id, actor=org.leo)
    assert [(t.from_stage, t.to_stage) for t in timeline] == [
        (None, "discovery"),
        ("discovery", "negotiation"),
        ("negotiation", "closed_won"),
    ]
    assert timeline[-1].changed_by_name == "Leo"


def test_backward_move_needs_a_reason(session, org):
    opp = _opportunity(session, org.leo)
    opp = change_stage(session=session, opportunity_id=opp.id, to_stage="proposal", expected_version=1, actor=org.leo)
    with pytest.raises(InvalidStageTransition, match="needs a reason") as err:
        change_stage(session=session, opportunity_id=opp.id, to_stage="discovery", expected_version=2, actor=org.leo)
    assert err.value.field == "reason"
    opp = change_stage(
        session=session, opportunity_id=opp.id, to_stage="discovery", expected_version=2, actor=org.leo,
        reason="budget owner changed",
    )  # fmt: skip
    assert stage_timeline(session=session, opportunity_id=opp.id, actor=org.leo)[-1].reason == "budget owner changed"


def test_closed_lost_needs_a_lost_reason(session, org):
    opp = _opportunity(session, org.leo)
    with pytest.raises(InvalidStageTransition) as err:
        change_stage(session=session, opportunity_id=opp.id, to_stage="closed_lost", expected_version=1, actor=org.leo)
    assert err.value.field == "lost_reason"
    opp = change_stage(
        session=session, opportunity_id=opp.id, to_stage="closed_lost", expected_version=1, actor=org.leo,
        lost_reason="price",
    )  # fmt: skip
    assert (opp.lost_reason, opp.forecast_category, opp.probability) == ("price", "omitted", 0)


def test_only_a_manager_or_admin_reopens_a_closed_deal(session, org):
    opp = _opportunity(session, org.leo)
    change_stage(session=session, opportunity_id=opp.id, to_stage="closed_won", expected_version=1, actor=org.leo)
    with pytest.raises(InvalidStageTransition, match="only a manager or an admin"):
        change_stage(
            session=session, opportunity_id=opp.id, to_stage="negotiation", expected_version=2, actor=org.leo,
            reason="customer came back",
        )  # fmt: skip
    opp = change_stage(
        session=session, opportunity_id=opp.id, to_stage="negotiation", expected_version=2, actor=org.maya,
        reason="customer came back",
    )  # fmt: skip
    assert (opp.stage, opp.closed_at, opp.lost_reason) == ("negotiation", None, None)


def test_amount_and_close_date_changes_append_history_in_the_same_transaction(session, org):
    opp = _opportunity(session, org.leo)
    opp = update_opportunity(
        session=session, opportunity_id=opp.id, data={"amount": "18000", "expected_close_date": "2027-06-30"},
        expected_version=1, actor=org.leo,
    )  # fmt: skip
    last = stage_timeline(session=session, opportunity_id=opp.id, actor=org.leo)[-1]
    assert (last.from_stage, last.to_stage, last.amount, last.expected_close_date) == (
        "discovery",
        "discovery",
        Decimal("18000.00"),
        date(2027, 6, 30),
    )
    update_opportunity(
        session=session, opportunity_id=opp.id, data={"name": "Renamed"}, expected_version=2, actor=org.leo
    )
    assert len(stage_timeline(session=session, opportunity_id=opp.id, actor=org.leo)) == 2  # a rename is not history
    actions = [e.action for e in audit_trail(session=session, entity_type="opportunity", entity_id=opp.id)]
    assert actions == ["create", "update", "update"]


def test_rep_cannot_move_or_see_another_reps_deal(session, org):
    opp = _opportunity(session, org.leo)
    with pytest.raises(PermissionDenied, match=r"^Permission denied\.$"):
        change_stage(session=session, opportunity_id=opp.id, to_stage="proposal", expected_version=1, actor=org.oscar)
    with pytest.raises(PermissionDenied):
        get_opportunity(session=session, opportunity_id=opp.id, actor=org.rita)
    assert session.get(Opportunity, opp.id).stage == "discovery"
    assert list_opportunities(session=session, actor=org.oscar).total == 0
    assert list_opportunities(session=session, actor=org.maya, open_only=True).total == 1


def test_converted_lead_links_back_after_an_edit_refusal(session, org):
    lead = _qualified(session, org.leo)
    convert_lead(session=session, lead_id=lead.id, data=CONVERSION, actor=org.leo)
    with pytest.raises(DomainError, match="converted; its status can no longer change"):
        update_lead(session=session, lead_id=lead.id, data={"status": "new"}, expected_version=2, actor=org.leo)
    assert session.get(Lead, lead.id).status == "converted"
