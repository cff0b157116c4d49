"""Role rules, one test per role and route: rep = own, manager = team, analyst = read-only, admin = all."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.duplicates import merge_leads
from crm.errors import PermissionDenied
from crm.leads import create_lead, delete_lead, get_lead, update_lead
from crm.opportunities import change_stage, convert_lead, update_opportunity
from crm.permissions import ensure_can_edit, visible_owner_ids
from models import AuditLog, Lead, Opportunity


@pytest.fixture
def session(rollback_session):
    """These tests never commit: roll back instead of truncating (fast)."""
    return rollback_session


def _lead(session, owner, email):
    return create_lead(
        session=session,
        data={"last_name": "Doe", "email": email, "company": "Acme", "status": "qualified"},
        actor=owner,
    )


def _audit_rows(session):
    return session.scalar(select(func.count()).select_from(AuditLog))


ROUTES = {
    "update_lead": lambda s, a, lead, opp: update_lead(
        session=s, lead_id=lead.id, data={"title": "Hacked"}, expected_version=lead.version, actor=a
    ),
    "delete_lead": lambda s, a, lead, opp: delete_lead(session=s, lead_id=lead.id, actor=a),
    "convert_lead": lambda s, a, lead, opp: convert_lead(
        session=s, lead_id=lead.id, data={"name": "X", "amount": 1}, actor=a
    ),
    "change_stage": lambda s, a, lead, opp: change_stage(
        session=s, opportunity_id=opp.id, to_stage="proposal", expected_version=opp.version, actor=a
    ),
    "update_opportunity": lambda s, a, lead, opp: update_opportunity(
        session=s, opportunity_id=opp.id, data={"amount": 1}, expected_version=opp.version, actor=a
    ),
    "merge_leads": lambda s, a, lead, opp: merge_leads(
        session=s, keep_id=lead.id, merge_id=opp.lead_id, chosen={}, actor=a
    ),
}


@pytest.fixture
def leos_book(session, org):
    lead = _lead(session, org.leo, "lead@acme.com")
    converted = _lead(session, org.leo, "converted@acme.com")
    opp = convert_lead(session=session, lead_id=converted.id, data={"name": "Deal", "amount": 100}, actor=org.leo)
    return lead, opp


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_rep_gets_permission_denied_on_another_reps_records_and_nothing_changes(session, org, leos_book, route):
    lead, opp = leos_book
    before = (_audit_rows(session), lead.version, opp.version)
    with pytest.raises(PermissionDenied, match=r"^Permission denied\.$"):
        ROUTES[route](session, org.oscar, lead, opp)
    session.refresh(lead)
    session.refresh(opp)
    assert (_audit_rows(session), lead.version, opp.version) == before


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_teammate_rep_is_denied_too(session, org, leos_book, route):
    lead, opp = leos_book
    with pytest.raises(PermissionDenied):
        ROUTES[route](session, org.rita, lead, opp)


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_analyst_writes_nothing(session, org, leos_book, route):
    lead, opp = leos_book
    with pytest.raises(PermissionDenied):
        ROUTES[route](session, org.analyst, lead, opp)


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_other_teams_manager_is_denied(session, org, leos_book, route):
    lead, opp = leos_book
    with pytest.raises(PermissionDenied):
        ROUTES[route](session, org.omar, lead, opp)


@pytest.mark.parametrize("actor", ["leo", "maya", "admin"])
@pytest.mark.parametrize("route", ["update_lead", "change_stage", "update_opportunity"])
def test_owner_their_manager_and_admin_may_edit(session, org, leos_book, actor, route):
    lead, opp = leos_book
    record = lead if route == "update_lead" else opp
    version = record.version
    ROUTES[route](session, getattr(org, actor), lead, opp)
    session.flush()
    session.refresh(record)
    assert record.version == version + 1
    edited = {
        "update_lead": ("title", "Hacked"),
        "change_stage": ("stage", "proposal"),
        "update_opportunity": ("amount", 1),
    }
    field, value = edited[route]
    assert getattr(record, field) == value


def test_analyst_cannot_create_a_lead(session, org):
    with pytest.raises(PermissionDenied):
        _lead(session, org.analyst, "a@acme.com")
    assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_rep_cannot_create_a_lead_for_another_rep(session, org):
    with pytest.raises(PermissionDenied):
        create_lead(
            session=session, data={"last_name": "X", "email": "x@y.com", "owner_id": org.oscar.id}, actor=org.leo
        )


def test_rep_cannot_hand_their_lead_to_another_team(session, org, leos_book):
    lead, _ = leos_book
    with pytest.raises(PermissionDenied):
        update_lead(
            session=session, lead_id=lead.id, data={"owner_id": org.oscar.id}, expected_version=1, actor=org.leo
        )


@pytest.mark.parametrize(("actor", "allowed"), [("leo", True), ("rita", False), ("maya", True), ("omar", False),
                                                ("analyst", True), ("admin", True)])  # fmt: skip
def test_read_access_per_role(session, org, leos_book, actor, allowed):
    lead, _ = leos_book
    if allowed:
        assert get_lead(session=session, lead_id=lead.id, actor=getattr(org, actor)).id == lead.id
    else:
        with pytest.raises(PermissionDenied):
            get_lead(session=session, lead_id=lead.id, actor=getattr(org, actor))


def test_visible_owners_per_role(session, org):
    assert visible_owner_ids(session=session, actor=org.admin) is None
    assert visible_owner_ids(session=session, actor=org.analyst) is None
    assert visible_owner_ids(session=session, actor=org.leo) == {org.leo.id}
    assert visible_owner_ids(session=session, actor=org.maya) == {org.maya.id, org.leo.id, org.rita.id}


def test_unowned_records_are_editable_by_admin_only(session, org):
    ensure_can_edit(org.admin, None, session=session)
    for actor in (org.leo, org.maya, org.analyst):
        with pytest.raises(PermissionDenied):
            ensure_can_edit(actor, None, session=session)
    assert session.scalar(select(func.count()).select_from(Opportunity)) == 0
