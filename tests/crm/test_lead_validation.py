from __future__ import annotations

import pytest

from crm.errors import ValidationFailed
from crm.records import parse_input
from models.schemas import LeadConversion, LeadCreate, LeadQuery, LeadUpdate


def test_create_names_each_bad_field():
    with pytest.raises(ValidationFailed) as err:
        parse_input(LeadCreate, {"email": "not-an-email", "engagement_score": 101, "employee_count": -1})
    fields = dict(err.value.errors)
    assert set(fields) == {"email", "engagement_score", "employee_count", "last_name"}
    assert "valid email" in fields["email"]
    assert fields["last_name"] == "is required"


def test_problems_read_as_one_human_wording_on_create_and_edit():
    with pytest.raises(ValidationFailed) as created:
        parse_input(LeadCreate, {"last_name": "  ", "email": "j@example.com", "company": "x" * 201})
    assert created.value.errors == [("last_name", "is required"), ("company", "at most 200 characters")]
    with pytest.raises(ValidationFailed) as edited:
        parse_input(LeadUpdate, {"company": "x" * 201, "engagement_score": 101, "employee_count": "many"})
    assert dict(edited.value.errors) == {
        "company": "at most 200 characters",
        "engagement_score": "must be at most 100",
        "employee_count": "must be a whole number",
    }
    with pytest.raises(ValidationFailed) as converted:
        bad = {"name": "Deal", "amount": "-1", "stage": "won", "expected_close_date": "2026-13-01"}
        parse_input(LeadConversion, bad)
    assert dict(converted.value.errors) == {
        "amount": "must be at least 0",
        "stage": "must be one of prospecting, discovery, proposal or negotiation",
        "expected_close_date": "must be a date (YYYY-MM-DD)",
    }
    assert not any("Input should" in p or "String should" in p for _, p in converted.value.errors)


def test_blank_strings_are_missing_values():
    lead = parse_input(LeadCreate, {"last_name": "Doe", "email": "j@example.com", "company": "  ", "phone": ""})
    assert lead.company is None and lead.phone is None and lead.status == "new"


def test_unknown_fields_are_refused_by_name():
    with pytest.raises(ValidationFailed) as err:
        parse_input(LeadCreate, {"last_name": "Doe", "email": "j@example.com", "colour": "red"})
    assert err.value.errors == [("colour", "is not a known field")]


def test_query_ranges_must_be_in_order():
    with pytest.raises(ValidationFailed):
        parse_input(LeadQuery, {"score_min": 80, "score_max": 20})
    with pytest.raises(ValidationFailed) as err:
        parse_input(LeadQuery, {"sort": "sideways"})
    assert err.value.field == "sort"


def test_conversion_only_into_open_stages_and_upper_cases_currency():
    ok = parse_input(LeadConversion, {"name": "Deal", "amount": "1000", "stage": "discovery", "currency": "eur"})
    assert ok.currency == "EUR"
    with pytest.raises(ValidationFailed) as err:
        parse_input(LeadConversion, {"name": "Deal", "amount": "1000", "stage": "closed_won"})
    assert err.value.field == "stage"
