"""The importable fields of each entity and the kind of value each takes."""

from __future__ import annotations

from dataclasses import dataclass

from models.domain import LEAD_STATUSES, STAGES, TEXT_LENGTHS

ENTITIES: tuple[str, ...] = ("leads", "opportunities", "accounts")


@dataclass(frozen=True)
class FieldSpec:
    """How one importable field is parsed: ``kind`` and, for text, the column's maximum length."""

    kind: str  # text | email | int | money | percent | score | datetime | date | enum | currency
    max_length: int | None = None
    choices: tuple[str, ...] = ()


LEAD_FIELDS: dict[str, FieldSpec] = {
    "external_id": FieldSpec("text", TEXT_LENGTHS["external_id"]),
    "first_name": FieldSpec("text", TEXT_LENGTHS["first_name"]),
    "last_name": FieldSpec("text", TEXT_LENGTHS["last_name"]),
    "email": FieldSpec("email", TEXT_LENGTHS["email"]),
    "phone": FieldSpec("text", TEXT_LENGTHS["phone"]),
    "company": FieldSpec("text", TEXT_LENGTHS["company"]),
    "title": FieldSpec("text", TEXT_LENGTHS["title"]),
    "industry": FieldSpec("text", TEXT_LENGTHS["industry"]),
    "employee_count": FieldSpec("int"),
    "annual_revenue": FieldSpec("money"),
    "country": FieldSpec("text", TEXT_LENGTHS["country"]),
    "source": FieldSpec("text", TEXT_LENGTHS["source"]),
    "status": FieldSpec("enum", choices=LEAD_STATUSES),
    "engagement_score": FieldSpec("score"),
    "owner_email": FieldSpec("email", TEXT_LENGTHS["email"]),
    "created_at": FieldSpec("datetime"),
}

OPPORTUNITY_FIELDS: dict[str, FieldSpec] = {
    "external_id": FieldSpec("text", TEXT_LENGTHS["external_id"]),
    "name": FieldSpec("text", TEXT_LENGTHS["name"]),
    "account_name": FieldSpec("text", TEXT_LENGTHS["name"]),
    "amount": FieldSpec("money"),
    "currency": FieldSpec("currency"),
    "stage": FieldSpec("enum", choices=STAGES),
    "probability": FieldSpec("percent"),
    "expected_close_date": FieldSpec("date"),
    "created_at": FieldSpec("datetime"),
    "closed_at": FieldSpec("datetime"),
    "lost_reason": FieldSpec("text", TEXT_LENGTHS["lost_reason"]),
    "owner_email": FieldSpec("email", TEXT_LENGTHS["email"]),
    "lead_external_id": FieldSpec("text", TEXT_LENGTHS["external_id"]),
    "lead_email": FieldSpec("email", TEXT_LENGTHS["email"]),
}

ACCOUNT_FIELDS: dict[str, FieldSpec] = {
    "name": FieldSpec("text", TEXT_LENGTHS["name"]),
    "external_id": FieldSpec("text", TEXT_LENGTHS["external_id"]),
    "domain": FieldSpec("text", TEXT_LENGTHS["domain"]),
    "industry": FieldSpec("text", TEXT_LENGTHS["industry"]),
    "employee_count": FieldSpec("int"),
    "annual_revenue": FieldSpec("money"),
    # exports often give revenue in millions (Maven's accounts.csv): stored times 1,000,000
    "annual_revenue_millions": FieldSpec("money"),
    "country": FieldSpec("text", TEXT_LENGTHS["country"]),
    "owner_email": FieldSpec("email", TEXT_LENGTHS["email"]),
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
