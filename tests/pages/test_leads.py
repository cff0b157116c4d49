"""The Leads page: list, search, create, detail, edit, convert, permissions (AppTest)."""

from __future__ import annotations

from crm.leads import create_lead
from core.db import transaction


def _lead(engine, actor, **fields):
    data = {"first_name": "John", "last_name": "Doe", "email": "john.doe@example.com", "company": "Acme", **fields}
    with transaction(engine) as session:
        return create_lead(session=session, data=data, actor=actor)


def test_rep_sees_own_leads_in_the_list(clean_db, people, app_as):
    _lead(clean_db, people["leo"], status="qualified")
    at = app_as(people["leo"], "pages/leads.py")
    assert not at.exception
    assert [b.label for b in at.button if b.key.startswith("open_lead_")] == ["John Doe"]
