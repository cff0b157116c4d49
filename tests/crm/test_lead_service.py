from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from crm.audit import audit_trail, diff
from crm.duplicates import PHONE_DIGITS_EXPRESSION
from crm.errors import DomainError, DuplicateEmail, NotFound, ValidationFailed
from crm.leads import (
    SEARCH_EXPRESSION,
    create_lead,
    delete_lead,
    get_lead,
    iter_leads_for_export,
    search_leads,
    update_lead,
)
from crm.scoring import calculate_score
from models import Lead

JOHN = {
    "first_name": "John",
    "last_name": "Doe",
    "email": "John.Doe@Acme.com",
    "company": "Acme Robotics",
    "industry": "Technology",
    "employee_count": 500,
    "annual_revenue": 50_000_000,
    "title": "VP Engineering",
    "engagement_score": 85,
    "country": "US",
    "source": "web",
}


@pytest.fixture
def session(rollback_session):
    """These tests never commit: roll back instead of truncating (fast)."""
    return rollback_session


def test_create_sets_status_new_score_and_routes_to_territory(session, org):
    lead = create_lead(session=session, data=JOHN, actor=org.maya)
    assert lead.status == "new"
    assert float(lead.score) == calculate_score(JOHN)
    assert lead.territory_id == org.west.id
    assert lead.owner_id in (org.leo.id, org.rita.id)
    assert "West" in lead.territory_reason
    assert lead.version == 1


def test_rep_owns_the_leads_they_create(session, org):
    lead = create_lead(session=session, data={**JOHN, "country": "DE"}, actor=org.leo)
    assert lead.owner_id == org.leo.id
    assert lead.territory_id == org.east.id


def test_duplicate_email_is_refused_case_insensitively_naming_the_existing_lead(session, org):
    first = create_lead(session=session, data=JOHN, actor=org.leo)
    with pytest.raises(DuplicateEmail) as err:
        create_lead(session=session, data={**JOHN, "email": "JOHN.DOE@acme.COM"}, actor=org.leo)
    assert err.value.existing_id == first.id
    assert str(err.value) == "A lead with email JOHN.DOE@acme.com already exists, owned by you."  # no UUID
    assert session.scalar(select(Lead.id).where(Lead.id != first.id)) is None


def test_invalid_input_names_the_field_and_changes_nothing(session, org):
    with pytest.raises(ValidationFailed) as err:
        create_lead(session=session, data={**JOHN, "engagement_score": 150}, actor=org.leo)
    assert err.value.field == "engagement_score"
    assert session.scalar(select(Lead.id)) is None


def test_update_recomputes_score_bumps_version_and_audits(session, org):
    lead = create_lead(session=session, data=JOHN, actor=org.leo)
    updated = update_lead(
        session=session, lead_id=lead.id, data={"engagement_score": 10, "status": "contacted"}, expected_version=1,
        actor=org.leo,
    )  # fmt: skip
    assert updated.version == 2
    assert float(updated.score) == calculate_score({**JOHN, "engagement_score": 10})
    trail = audit_trail(session=session, entity_type="lead", entity_id=lead.id)
    assert [e.action for e in trail] == ["create", "update"]
    assert trail[1].changes["status"] == ["new", "contacted"]
    assert trail[1].actor_name == "Leo"


def test_an_edit_audits_only_real_changes_and_numbers_compare_by_value(session, org):
    engagement = next(e for e in range(101) if calculate_score({**JOHN, "engagement_score": e}) * 10 % 1 == 0)
    lead = create_lead(session=session, data={**JOHN, "engagement_score": engagement}, actor=org.leo)
    assert str(lead.score).endswith("0")  # stored as e.g. 65.40, computed as 65.4
    update_lead(session=session, lead_id=lead.id, data={"phone": "+1 415 555 0100"}, expected_version=1, actor=org.leo)
    trail = audit_trail(session=session, entity_type="lead", entity_id=lead.id)
    assert trail[-1].changes == {"phone": [None, "+1 415 555 0100"]}
    same = update_lead(
        session=session, lead_id=lead.id, data={"annual_revenue": "50000000.00"}, expected_version=2, actor=org.leo
    )
    session.flush()
    session.refresh(same)
    assert same.version == 2  # nothing really changed: no write, no audit row
    assert len(audit_trail(session=session, entity_type="lead", entity_id=lead.id)) == 2
    assert diff({"score": Decimal("65.40"), "n": 3}, {"score": 65.4, "n": Decimal("3.00")}) == {}
    assert diff({"score": Decimal("65.40")}, {"score": 65.41}) == {"score": ["65.40", 65.41]}


def test_the_territory_reason_is_checked_again_when_an_edit_changes_what_the_rules_read(session, org):
    lead = create_lead(session=session, data=JOHN, actor=org.leo)
    assert lead.territory_id == org.west.id and "by rule" in lead.territory_reason
    moved = update_lead(session=session, lead_id=lead.id, data={"country": "DE"}, expected_version=1, actor=org.leo)
    assert (moved.territory_id, moved.owner_id) == (org.west.id, org.leo.id)  # an edit never moves the lead
    assert moved.territory_reason == (
        "Territory West kept after an edit by Leo; by the current rules the lead now fits territory East. "
        "An admin can move it."
    )
    back = update_lead(session=session, lead_id=lead.id, data={"country": "US"}, expected_version=2, actor=org.leo)
    assert back.territory_reason.startswith("Territory West by rule: ")
    assert back.territory_reason.endswith("(checked again after an edit by Leo).")
    titled = update_lead(
        session=session, lead_id=lead.id, data={"phone": "+1 415 555 0100"}, expected_version=3, actor=org.leo
    )
    assert titled.territory_reason == back.territory_reason  # nothing the rules read changed


def test_converted_status_cannot_be_set_by_an_edit(session, org):
    lead = create_lead(session=session, data=JOHN, actor=org.leo)
    with pytest.raises(ValidationFailed) as err:
        update_lead(session=session, lead_id=lead.id, data={"status": "converted"}, expected_version=1, actor=org.leo)
    assert err.value.field == "status"


def test_delete_removes_the_lead_and_keeps_an_audit_row(session, org):
    lead = create_lead(session=session, data=JOHN, actor=org.leo)
    delete_lead(session=session, lead_id=lead.id, actor=org.leo)
    with pytest.raises(NotFound):
        get_lead(session=session, lead_id=lead.id, actor=org.admin)
    assert [e.action for e in audit_trail(session=session, entity_type="lead", entity_id=lead.id)][-1] == "delete"


def _make(session, actor, n, **extra):
    return [
        create_lead(
            session=session,
            data={"first_name": f"P{i}", "last_name": f"Person{i}", "email": f"p{i}@corp{i % 3}.com",
                  "company": f"Corp {i % 3}", "engagement_score": i * 10, **extra},
            actor=actor,
        )
        for i in range(n)
    ]  # fmt: skip


def test_search_matches_substrings_of_name_email_and_company_case_insensitively(session, org):
    _make(session, org.leo, 6)
    create_lead(session=session, data=JOHN, actor=org.leo)
    for q, expected in (("john doe", 1), ("ACME", 1), ("doe@acme", 1), ("corp 1", 2), ("person", 6), ("100%", 0)):
        page = search_leads(session=session, actor=org.leo, query={"q": q})
        assert page.total == expected, q
    assert search_leads(session=session, actor=org.leo, query={"q": "john doe"}).rows[0].email == "John.Doe@acme.com"


def test_search_pages_with_total_and_has_more_sorted_by_score(session, org):
    _make(session, org.leo, 7)
    first = search_leads(session=session, actor=org.leo, query={"limit": 3})
    assert (first.total, len(first.rows), first.has_more) == (7, 3, True)
    scores = [float(r.score) for r in first.rows]
    assert scores == sorted(scores, reverse=True)
    last = search_leads(session=session, actor=org.leo, query={"limit": 3, "offset": 6})
    assert (last.total, len(last.rows), last.has_more) == (7, 1, False)
    ids = {r.id for r in first.rows} | {r.id for r in last.rows}
    assert len(ids) == 4


def test_search_filters_combine(session, org):
    leads = _make(session, org.leo, 6, source="event")
    update_lead(session=session, lead_id=leads[5].id, data={"status": "qualified"}, expected_version=1, actor=org.leo)
    page = search_leads(
        session=session, actor=org.admin,
        query={"status": "qualified", "source": "EVENT", "score_min": 1, "owner_id": org.leo.id,
               "created_from": date.today(), "created_to": date.today()},
    )  # fmt: skip
    assert [r.id for r in page.rows] == [leads[5].id]
    assert search_leads(session=session, actor=org.admin, query={"score_max": 1}).total == 1
    assert search_leads(session=session, actor=org.admin, query={"territory_id": uuid.uuid4()}).total == 0


def test_search_shows_each_role_only_what_it_may_see(session, org):
    _make(session, org.leo, 2)
    create_lead(session=session, data={**JOHN, "email": "o@x.com"}, actor=org.oscar)
    assert search_leads(session=session, actor=org.leo, query={}).total == 2
    assert search_leads(session=session, actor=org.rita, query={}).total == 0
    assert search_leads(session=session, actor=org.maya, query={}).total == 2
    assert search_leads(session=session, actor=org.omar, query={}).total == 1
    assert search_leads(session=session, actor=org.analyst, query={}).total == 3
    assert search_leads(session=session, actor=org.admin, query={}).total == 3
    assert search_leads(session=session, actor=org.leo, query={"owner_id": org.oscar.id}).total == 0


def test_export_yields_the_whole_filtered_view_with_names(session, org):
    _make(session, org.leo, 5)
    rows = list(iter_leads_for_export(session=session, actor=org.maya, query={"q": "corp 0", "limit": 1}))
    assert len(rows) == 2
    assert {r["owner_name"] for r in rows} == {"Leo"}
    assert list(rows[0])[:3] == ["id", "first_name", "last_name"]


def test_delete_refuses_converted_leads(session, org):
    lead = create_lead(session=session, data={**JOHN, "status": "qualified"}, actor=org.leo)
    from crm.opportunities import convert_lead

    convert_lead(session=session, lead_id=lead.id, data={"name": "Deal", "amount": 10}, actor=org.leo)
    with pytest.raises(DomainError):
        delete_lead(session=session, lead_id=lead.id, actor=org.admin)


def test_above_the_exact_count_limit_totals_are_estimates_but_paging_stays_exact(session, org, monkeypatch):
    import crm.leads

    monkeypatch.setattr(crm.leads, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(crm.leads, "SEARCH_COLLECT_LIMIT", 3)
    _make(session, org.leo, 6)
    session.execute(text("ANALYZE leads"))
    page = search_leads(session=session, actor=org.leo, query={"limit": 5})
    assert (page.total_is_exact, len(page.rows), page.has_more) == (False, 5, True)
    assert page.total >= 6
    dense = search_leads(session=session, actor=org.leo, query={"q": "person", "limit": 2})
    assert (dense.total_is_exact, len(dense.rows), dense.has_more) == (False, 2, True)
    last = search_leads(session=session, actor=org.leo, query={"q": "person", "limit": 5, "offset": 5})
    assert (len(last.rows), last.has_more, last.total, last.total_is_exact) == (1, False, 6, True)
    few = search_leads(session=session, actor=org.leo, query={"q": "corp 1"})
    assert (few.total, few.total_is_exact, few.has_more) == (2, True, False)


@pytest.mark.parametrize(
    ("where", "index"),
    [
        (f"{SEARCH_EXPRESSION} LIKE '%doe@acme%'", "ix_leads_search_trgm"),
        (f"{PHONE_DIGITS_EXPRESSION} = '4155550101'", "ix_leads_phone_digits"),
        (f"{SEARCH_EXPRESSION} %> 'jane@globex.com'", "ix_leads_search_trgm"),
    ],
)
def test_search_and_duplicate_expressions_match_the_migrations_indexes(session, where, index):
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = session.execute(text(f"EXPLAIN SELECT id FROM leads WHERE {where}")).scalars().all()
    assert any(index in line for line in plan), plan


def test_a_managers_new_lead_stays_in_their_team_when_the_rules_route_it_elsewhere(session, org):
    # Germany belongs to the East territory, whose only rep (Oscar) is in the other team.
    lead = create_lead(session=session, data={**JOHN, "email": "k@example.de", "country": "DE"}, actor=org.maya)
    assert lead.territory_id == org.east.id
    assert lead.owner_id == org.maya.id
    assert get_lead(session=session, lead_id=lead.id, actor=org.maya).id == lead.id


def test_an_admins_new_lead_goes_to_the_routed_rep(session, org):
    lead = create_lead(session=session, data={**JOHN, "email": "a@example.de", "country": "DE"}, actor=org.admin)
    assert lead.owner_id == org.oscar.id
