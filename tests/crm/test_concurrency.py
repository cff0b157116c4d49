"""Two sessions at once: stale edits are refused, double submits create one opportunity (these commit)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core import db as core_db
from crm.errors import StaleRecord
from crm.leads import create_lead, update_lead
from crm.opportunities import change_stage, convert_lead
from models import Lead, Opportunity

CONVERSION = {"name": "Acme expansion", "amount": "25000", "stage": "discovery"}
JOHN = {"first_name": "John", "last_name": "Doe", "email": "john@acme.com", "company": "Acme", "country": "US"}


def _qualified(session, actor):
    return create_lead(session=session, data={**JOHN, "status": "qualified"}, actor=actor)


def _opportunity(session, actor):
    return convert_lead(session=session, lead_id=_qualified(session, actor).id, data=CONVERSION, actor=actor)


def test_stale_edit_from_a_second_session_is_refused_and_nothing_is_overwritten(session, org, clean_db):
    lead = create_lead(session=session, data=JOHN, actor=org.leo)
    session.commit()
    factory = core_db.session_factory(clean_db)
    with factory.begin() as other:  # Rita's manager Maya edits first, in another session
        update_lead(session=other, lead_id=lead.id, data={"title": "CTO"}, expected_version=1, actor=org.maya)
    with pytest.raises(StaleRecord) as err:
        update_lead(session=session, lead_id=lead.id, data={"title": "Intern"}, expected_version=1, actor=org.leo)
    assert "changed by Maya at" in str(err.value)
    assert str(err.value).endswith("— reload")
    session.rollback()
    with factory() as check:
        assert check.get(Lead, lead.id).title == "CTO"


def test_double_submit_from_two_sessions_creates_one_opportunity(session, org, clean_db):
    lead = _qualified(session, org.leo)
    session.commit()
    factory = core_db.session_factory(clean_db)
    results: list[object] = []
    first = factory()
    first.begin()
    opp = convert_lead(session=first, lead_id=lead.id, data=CONVERSION, actor=org.leo)  # holds the lead's row lock

    def second_submit() -> None:
        with factory.begin() as s:
            results.append(convert_lead(session=s, lead_id=lead.id, data=CONVERSION, actor=org.leo).id)

    thread = threading.Thread(target=second_submit)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive()  # waiting for the first submit's lock
    first.commit()
    first.close()
    thread.join(timeout=10)
    assert results == [opp.id]
    assert session.scalar(select(func.count()).select_from(Opportunity)) == 1


def test_stale_stage_change_from_a_second_session_is_refused(session, org, clean_db):
    opp = _opportunity(session, org.leo)
    session.commit()
    with core_db.session_factory(clean_db).begin() as other:
        change_stage(session=other, opportunity_id=opp.id, to_stage="proposal", expected_version=1, actor=org.maya)
    with pytest.raises(StaleRecord, match=r"changed by Maya at .* — reload"):
        change_stage(session=session, opportunity_id=opp.id, to_stage="negotiation", expected_version=1, actor=org.leo)
    session.rollback()
    assert session.get(Opportunity, opp.id).stage == "proposal"


def _sample(name, **labels):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_committed_writes_only(session, org):
    session.commit()
    created = _sample("sales_lead_created_total", source="unknown", status="qualified")
    moved = _sample("sales_opportunity_stage_change_total", from_stage="discovery", to_stage="proposal")
    opp = _opportunity(session, org.leo)
    session.rollback()  # nothing committed: nothing counted
    assert _sample("sales_lead_created_total", source="unknown", status="qualified") == created
    opp = _opportunity(session, org.leo)
    change_stage(session=session, opportunity_id=opp.id, to_stage="proposal", expected_version=1, actor=org.leo)
    session.commit()
    assert _sample("sales_lead_created_total", source="unknown", status="qualified") == created + 1
    assert _sample("sales_opportunity_stage_change_total", from_stage="discovery", to_stage="proposal") == moved + 1


def test_stale_edit_names_the_fields_changed_since_the_callers_version(session, org, clean_db):
    lead = create_lead(session=session, data=JOHN, actor=org.leo)
    session.commit()
    factory = core_db.session_factory(clean_db)
    with factory.begin() as other:
        update_lead(
            session=other, lead_id=lead.id, data={"phone": "+1 415 555 0100"}, expected_version=1, actor=org.maya
        )
    with factory.begin() as other:
        update_lead(session=other, lead_id=lead.id, data={"title": "CTO"}, expected_version=2, actor=org.maya)
    with pytest.raises(StaleRecord) as from_start:
        update_lead(session=session, lead_id=lead.id, data={"title": "Intern"}, expected_version=1, actor=org.leo)
    assert (from_start.value.changed_fields, from_start.value.current_version) == (["phone", "title"], 3)
    session.rollback()
    with pytest.raises(StaleRecord) as from_middle:
        update_lead(session=session, lead_id=lead.id, data={"title": "Intern"}, expected_version=2, actor=org.leo)
    assert from_middle.value.changed_fields == ["title"]
    session.rollback()


def test_stale_stage_change_names_the_stage_fields_that_moved(session, org, clean_db):
    opp = _opportunity(session, org.leo)
    session.commit()
    with core_db.session_factory(clean_db).begin() as other:
        change_stage(session=other, opportunity_id=opp.id, to_stage="proposal", expected_version=1, actor=org.maya)
    with pytest.raises(StaleRecord) as err:
        change_stage(session=session, opportunity_id=opp.id, to_stage="negotiation", expected_version=1, actor=org.leo)
    assert "stage" in err.value.changed_fields and "amount" not in err.value.changed_fields
    assert err.value.current_version == 2
    session.rollback()
