"""The importable fields of each entity and the kind of value each takes."""

from __future__ import annotations

from dataclasses import dataclass

from models.domain import LEAD_STATUSES, STAGES

ENTITIES: tuple[str, ...] = ("leads", "opportunities", "accounts")


@dataclass(frozen=True)
class FieldSpec:
    """How one importable field is parsed: ``kind`` and, for text, the column's maximum length."""

    kind: str  # text | email | int | money | percent | score | datetime | date | enum | currency
    max_length: int | None = None
    choices: tuple[str, ...] = ()


LEAD_FIELDS: dict[str, FieldSpec] = {
    "external_id": FieldSpec("text", 120),
    "first_name": FieldSpec("text", 100),
    "last_name": FieldSpec("text", 100),
    "email": FieldSpec("email", 320),
    "phone": FieldSpec("text", 50),
    "company": FieldSpec("text", 200),
    "title": FieldSpec("text", 200),
    "industry": FieldSpec("text", 80),
    "employee_count": FieldSpec("int"),
    "annual_revenue": FieldSpec("money"),
    "country": FieldSpec("text", 80),
    "source": FieldSpec("text", 80),
    "status": FieldSpec("enum", choices=LEAD_STATUSES),
    "engagement_score": FieldSpec("score"),
    "owner_email": FieldSpec("email", 320),
    "created_at": FieldSpec("datetime"),
}

OPPORTUNITY_FIELDS: dict[str, FieldSpec] = {
    "external_id": FieldSpec("text", 120),
    "name": FieldSpec("text", 200),
    "account_name": FieldSpec("text", 200),
    "amount": FieldSpec("money"),
    "currency": FieldSpec("currency"),
    "stage": FieldSpec("enum", choices=STAGES),
    "probability": FieldSpec("percent"),
    "expected_close_date": FieldSpec("date"),
    "created_at": FieldSpec("datetime"),
    "closed_at": FieldSpec("datetime"),
    "lost_reason": FieldSpec("text", 200),
    "owner_email": FieldSpec("email", 320),
    "lead_external_id": FieldSpec("text", 120),
    "lead_email": FieldSpec("email", 320),
}

ACCOUNT_FIELDS: dict[str, FieldSpec] = {
    "name": FieldSpec("text", 200),
    "external_id": FieldSpec("text", 120),
    "domain": FieldSpec("text", 200),
    "industry": FieldSpec("text", 80),
    "employee_count": FieldSpec("int"),
    "annual_revenue": FieldSpec("money"),
    # exports often give revenue in millions (Maven's accounts.csv): stored times 1,000,000
    "annual_revenue_millions": FieldSpec("money"),
    "country": FieldSpec("text", 80),
    "owner_email": FieldSpec("email", 320),
}

FIELDS: dict[str, dict[str, FieldSpec]] = {
    "leads": LEAD_FIELDS,
    "opportunities": OPPORTUNITY_FIELDS,
    "accounts": ACCOUNT_FIELDS,
}
KEYS: dict[str, tuple[str, ...]] = {
    "leads": ("email", "external_id"),
    "opportunities": ("external_id",),
    "accounts": ("name",),  # case-insensitive, as opportunities find their account
}
