from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from crm.audit import audit_trail
from crm.errors import PermissionDenied, StaleRecord, ValidationFailed
from crm.leads import create_lead
from crm.territories import TerritoryRouter, apply_rule_change, create_territory, preview_rule_change, validate_rules
from models import Lead, Territory, User


@pytest.fixture
def session(rollback_session):
    """These tests never commit: roll back instead of truncating (fast)."""
    return rollback_session


def add_territory(session, name, rules, priority=100):
    territory = Territory(id=uuid.uuid4(), name=name, rules=rules, priority=priority)
    session.add(territory)
    session.flush()
    return territory


def add_rep(session, name, territory):
    user = User(id=uuid.uuid4(), email=f"{name.lower()}@example.com", name=name, role="rep", password_hash="x",
                territory_id=territory.id)  # fmt: skip
    session.add(user)
    session.flush()
    return user


TECH_US = {"country": "US", "industry": "Technology", "employee_count": 500, "annual_revenue": 5_000_000}


def test_higher_priority_wins_over_a_more_specific_rule(session, org):
    add_territory(session, "US Tech", [{"countries": ["US"], "industries": ["technology"]}], priority=50)
    router = TerritoryRouter.load(session)
    assert router.assign(TECH_US).territory_name == "West"  # priority 100 beats 50


def test_at_equal_priority_the_more_specific_rule_wins(session, org):
    add_territory(session, "US Tech", [{"countries": ["US"], "industries": ["Technology"], "employee_min": 100}])
    assignment = TerritoryRouter.load(session).assign(TECH_US)
    assert assignment.territory_name == "US Tech"
    assert "employees ≥ 100" in assignment.reason
    assert TerritoryRouter.load(session).assign({**TECH_US, "employee_count": 50}).territory_name == "West"


def test_bands_are_inclusive_and_missing_values_never_meet_a_bound(session, org):
    add_territory(session, "Mid", [{"revenue_min": 1_000_000, "revenue_max": 10_000_000, "countries": ["US"]}])
    router = TerritoryRouter.load(session)
    assert router.assign({**TECH_US, "annual_revenue": 10_000_000}).territory_name == "Mid"
    assert router.assign({**TECH_US, "annual_revenue": 10_000_001}).territory_name == "West"
    assert router.assign({"country": "US"}).territory_name == "West"


def test_country_names_and_regions_are_understood(session, org):
    add_territory(session, "EMEA", [{"regions": ["EMEA"]}], priority=10)
    router = TerritoryRouter.load(session)
    assert router.assign({"country": "United States"}).territory_name == "West"
    assert router.assign({"country": "Spain"}).territory_name == "EMEA"
    assert router.assign({"country": "fr"}).territory_name == "East"  # priority 100 beats EMEA's 10


def test_tie_goes_to_least_loaded_rep_then_deterministically(session, org):
    router = TerritoryRouter.load(session)
    owners = [router.assign({"country": "US"}).owner_id for _ in range(4)]
    assert sorted(owners) == sorted([org.leo.id, org.rita.id] * 2)  # alternates between the two West reps
    assert owners[0] == org.leo.id  # equal load: leo@ sorts before rita@
    # Same priority and specificity in two territories: the one whose rep has fewer open leads wins.
    tie = add_territory(session, "West 2", [{"countries": ["US"]}])
    add_rep(session, "Wendy", tie)
    create_lead(session=session, data={"last_name": "A", "email": "a@a.com", "owner_id": org.leo.id}, actor=org.admin)
    create_lead(session=session, data={"last_name": "B", "email": "b@b.com", "owner_id": org.rita.id}, actor=org.admin)
    fresh = TerritoryRouter.load(session)
    first = fresh.assign({"country": "US"})
    assert first.territory_name == "West 2" and first.owner_name == "Wendy"
    assert "tied with West" in first.reason


def test_no_matching_rule_leaves_the_lead_unassigned_with_a_reason(session, org):
    assignment = TerritoryRouter.load(session).assign({"country": "JP"})
    assert (assignment.territory_id, assignment.owner_id) == (None, None)
    assert "No territory rule matches" in assignment.reason


def test_created_lead_stores_the_reason(session, org):
    lead = create_lead(session=session, data={"last_name": "Z", "email": "z@z.com", "country": "US"}, actor=org.admin)
    assert lead.territory_id == org.west.id
    assert lead.territory_reason.startswith("Territory West (priority 100) by rule: country US")


def test_rules_are_validated_naming_the_rule_and_key(session, org):
    with pytest.raises(ValidationFailed) as err:
        validate_rules([{"countries": ["US"], "employee_min": "many"}, {"colour": "red"}])
    fields = {f for f, _ in err.value.errors}
    assert fields == {"rules[1].employee_min", "rules[2]"}
    with pytest.raises(ValidationFailed):
        validate_rules([{"revenue_min": 10, "revenue_max": 5}])


def _open_leads(session, org, n, country):
    for i in range(n):
        create_lead(
            session=session, data={"last_name": f"L{i}", "email": f"{country}{i}@x.com", "country": country},
            actor=org.admin,
        )  # fmt: skip


def test_preview_counts_moves_without_changing_anything(session, org):
    _open_leads(session, org, 3, "US")
    _open_leads(session, org, 2, "DE")
    preview = preview_rule_change(
        session=session, territory_id=org.east.id, rules=[{"countries": ["DE", "US"]}], priority=200, actor=org.admin
    )
    assert (preview.leads_checked, preview.leads_moving) == (5, 3)
    assert [(m.from_territory, m.to_territory, m.count) for m in preview.moves] == [("West", "East", 3)]
    assert session.scalar(select(Territory.priority).where(Territory.id == org.east.id)) == 100
    assert len(session.scalars(select(Lead).where(Lead.territory_id == org.west.id)).all()) == 3


def test_only_admins_preview_a_rule_change(session, org):
    _open_leads(session, org, 2, "US")
    for actor in (org.maya, org.leo, org.analyst):
        with pytest.raises(PermissionDenied):
            preview_rule_change(
                session=session, territory_id=org.east.id, rules=[{"countries": ["US"]}], priority=200, actor=actor
            )
    preview = preview_rule_change(
        session=session, territory_id=org.east.id, rules=[{"countries": ["US"]}], priority=200, actor=org.admin
    )
    assert preview.leads_moving == 2


def test_apply_moves_leads_to_the_new_territorys_reps_and_audits(session, org):
    _open_leads(session, org, 3, "US")
    east = session.get(Territory, org.east.id)
    result = apply_rule_change(
        session=session, territory_id=east.id, rules=[{"countries": ["DE", "US"]}], priority=200,
        expected_version=east.version, actor=org.admin,
    )  # fmt: skip
    assert result.leads_moving == 3
    leads = session.scalars(select(Lead).execution_options(populate_existing=True)).all()
    assert {(lead.territory_id, lead.owner_id) for lead in leads} == {(org.east.id, org.oscar.id)}
    assert all("after a rule change" in lead.territory_reason for lead in leads)
    assert audit_trail(session=session, entity_type="territory", entity_id=east.id)[-1].changes["leads_moved"] == 3


def test_removing_a_rule_leaves_leads_unassigned_but_owned(session, org):
    _open_leads(session, org, 2, "DE")
    east = session.get(Territory, org.east.id)
    apply_rule_change(session=session, territory_id=east.id, rules=[], priority=100, expected_version=east.version,
                      actor=org.admin)  # fmt: skip
    leads = session.scalars(select(Lead).execution_options(populate_existing=True)).all()
    assert {(lead.territory_id, lead.owner_id) for lead in leads} == {(None, org.oscar.id)}


def test_rule_changes_are_admin_only_and_version_checked(session, org):
    east = session.get(Territory, org.east.id)
    with pytest.raises(PermissionDenied):
        apply_rule_change(session=session, territory_id=east.id, rules=[], priority=1, expected_version=east.version,
                          actor=org.maya)  # fmt: skip
    with pytest.raises(StaleRecord):
        apply_rule_change(session=session, territory_id=east.id, rules=[], priority=1,
                          expected_version=east.version + 1, actor=org.admin)  # fmt: skip


def test_create_territory_refuses_duplicate_names(session, org):
    created = create_territory(session=session, name="APAC", rules=[{"regions": ["APAC"]}], actor=org.admin)
    assert created.rules == [{"regions": ["APAC"], "employee_min": None, "employee_max": None, "revenue_min": None,
                              "revenue_max": None}]  # fmt: skip
    with pytest.raises(ValidationFailed):
        create_territory(session=session, name="apac", actor=org.admin)
    assert uuid.UUID(str(created.id))


def test_preview_and_apply_respect_bands_and_missing_values(session, org):
    for i, employees in enumerate([50, 99, 100, 1000, 1001, None]):
        create_lead(
            session=session, data={"last_name": f"B{i}", "email": f"b{i}@x.com", "country": "US",
                                   "employee_count": employees}, actor=org.admin,
        )  # fmt: skip
    east = session.get(Territory, org.east.id)
    rules = [{"countries": ["US"], "employee_min": 100, "employee_max": 1000}]
    preview = preview_rule_change(session=session, territory_id=east.id, rules=rules, priority=100, actor=org.admin)
    assert (preview.leads_checked, preview.leads_moving) == (6, 2)  # more specific than West's rule
    apply_rule_change(session=session, territory_id=east.id, rules=rules, priority=100, expected_version=east.version,
                      actor=org.admin)  # fmt: skip
    moved = session.scalars(select(Lead.employee_count).where(Lead.territory_id == east.id)).all()
    assert sorted(moved) == [100, 1000]
