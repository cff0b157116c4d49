from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.audit import audit_trail
from crm.duplicates import check_duplicates, find_possible_duplicates, merge_leads
from crm.errors import DuplicateEmail, PermissionDenied, ValidationFailed
from crm.leads import create_lead
from crm.opportunities import convert_lead
from models import Lead, Opportunity


@pytest.fixture
def session(rollback_session):
    """These tests never commit: roll back instead of truncating (fast)."""
    return rollback_session


JANE = {
    "first_name": "Jane",
    "last_name": "Smith",
    "email": "jane.smith@globex.com",
    "company": "Globex",
    "phone": "+1 (415) 555-0101",
    "title": "CTO",
}


@pytest.fixture
def jane(session, org):
    return create_lead(session=session, data=JANE, actor=org.leo)


def test_same_name_and_company_is_a_possible_duplicate(session, org, jane):
    found = find_possible_duplicates(
        session=session, actor=org.admin, data={"first_name": "JANE", "last_name": "smith", "company": "globex"}
    )
    assert [c.lead_id for c in found] == [jane.id]
    assert found[0].reasons == ["same name and company (Jane Smith, Globex)"]
    assert found[0].match_score == 85


def test_same_phone_digits_is_a_possible_duplicate(session, org, jane):
    found = find_possible_duplicates(
        session=session, actor=org.admin, data={"last_name": "Other", "phone": "415.555.0101 "}
    )
    assert found == [] or found[0].lead_id != jane.id  # 10 digits vs 11 with country code: not the same number
    found = find_possible_duplicates(
        session=session, actor=org.admin, data={"last_name": "Other", "phone": "1-415-555-0101"}
    )
    assert [c.lead_id for c in found] == [jane.id]
    assert "same phone" in found[0].reasons[0]


@pytest.mark.parametrize("email", ["janesmith@globex.com", "jane.smith+news@globex.com", "jane.smtih@globex.com"])
def test_near_identical_email_is_a_possible_duplicate(session, org, jane, email):
    found = find_possible_duplicates(session=session, actor=org.admin, data={"last_name": "X", "email": email})
    assert [c.lead_id for c in found] == [jane.id]
    assert found[0].reasons[0].startswith("near-identical email")
    assert 80 <= found[0].match_score <= 95


def test_unrelated_lead_is_not_a_duplicate_and_several_reasons_raise_the_score(session, org, jane):
    assert (
        find_possible_duplicates(
            session=session, actor=org.admin, data={"last_name": "Jones", "email": "bob@initech.com"}
        )
        == []
    )
    both = find_possible_duplicates(session=session, actor=org.admin, data={**JANE, "email": "jane.smith2@globex.com"})
    assert both[0].match_score > 85 and len(both[0].reasons) == 3
    assert find_possible_duplicates(session=session, actor=org.admin, data=JANE, exclude_id=jane.id) == []


def test_merge_keeps_chosen_values_moves_opportunities_and_deletes_the_other(session, org, jane):
    other = create_lead(
        session=session,
        data={**JANE, "email": "j.smith@globex.com", "title": "Chief Technology Officer", "phone": None,
              "status": "qualified", "engagement_score": 90},
        actor=org.leo,
    )  # fmt: skip
    opp = convert_lead(session=session, lead_id=other.id, data={"name": "Globex deal", "amount": 500}, actor=org.leo)
    kept = merge_leads(
        session=session, keep_id=jane.id, merge_id=other.id, chosen={"title": "merge", "email": "merge"}, actor=org.leo
    )
    assert kept.title == "Chief Technology Officer"
    assert kept.email == "j.smith@globex.com"  # taken from the merged lead (its row is gone first)
    assert kept.phone == JANE["phone"]  # not chosen: kept
    assert kept.engagement_score == 90  # the kept lead had none: filled in
    assert (kept.status, kept.converted_opportunity_id) == ("converted", opp.id)
    assert session.get(Opportunity, opp.id).lead_id == jane.id
    assert session.scalar(select(func.count()).select_from(Lead)) == 1
    actions = [e.action for e in audit_trail(session=session, entity_type="lead", entity_id=jane.id)]
    assert actions[-1] == "merge"
    assert audit_trail(session=session, entity_type="lead", entity_id=other.id)[-1].action == "merged_into"


def test_merge_validates_choices_and_permissions(session, org, jane):
    other = create_lead(session=session, data={**JANE, "email": "x@globex.com"}, actor=org.oscar)
    with pytest.raises(ValidationFailed) as err:
        merge_leads(session=session, keep_id=jane.id, merge_id=other.id, chosen={"title": "both"}, actor=org.admin)
    assert err.value.field == "chosen.title"
    with pytest.raises(PermissionDenied):
        merge_leads(session=session, keep_id=jane.id, merge_id=other.id, chosen={}, actor=org.leo)
    assert session.scalar(select(func.count()).select_from(Lead)) == 2


def test_duplicates_are_scoped_like_search(session, org, jane):
    same_person = {"first_name": "Jane", "last_name": "Smith", "company": "Globex"}
    oscar = check_duplicates(session=session, data=same_person, actor=org.oscar)  # another team's rep
    assert (oscar.candidates, oscar.others) == ([], 1)
    assert oscar.any
    rita = check_duplicates(session=session, data=same_person, actor=org.rita)  # Leo's teammate: still not hers
    assert (rita.candidates, rita.others) == ([], 1)
    assert find_possible_duplicates(session=session, data=same_person, actor=org.rita) == []
    for manager_or_reader in (org.maya, org.admin, org.analyst, org.leo):
        seen = check_duplicates(session=session, data=same_person, actor=manager_or_reader)
        assert ([c.lead_id for c in seen.candidates], seen.others) == ([jane.id], 0), manager_or_reader.name
    omar = check_duplicates(session=session, data=same_person, actor=org.omar)  # manager of another team
    assert (omar.candidates, omar.others) == ([], 1)
    assert check_duplicates(session=session, data={**same_person, "email": JANE["email"]}, actor=org.oscar).same_email


def test_duplicate_email_names_the_owner_only_to_those_who_may_see_the_lead(session, org, jane):
    with pytest.raises(DuplicateEmail) as hidden:
        create_lead(session=session, data={**JANE, "email": "JANE.SMITH@globex.com"}, actor=org.oscar)
    assert hidden.value.existing_id is None
    assert str(hidden.value) == (
        "A lead with email JANE.SMITH@globex.com already exists, owned by someone else — ask your manager."
    )
    assert str(jane.id) not in str(hidden.value) and "Leo" not in str(hidden.value)
    with pytest.raises(DuplicateEmail) as shown:
        create_lead(session=session, data={**JANE, "email": "jane.smith@globex.com"}, actor=org.maya)
    assert shown.value.existing_id == jane.id
    assert str(shown.value) == "A lead with email jane.smith@globex.com already exists, owned by Leo."
