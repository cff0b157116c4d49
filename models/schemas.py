"""Pydantic input schemas of the write-side use cases (forms, API and importer all build these).

Validation messages name the field; :func:`field_errors` turns a pydantic error into
``[(field, problem), ...]`` so services can raise ``crm.errors.ValidationFailed`` with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.domain import (
    CLOSED_STAGES,
    FORECAST_CATEGORIES,
    LEAD_STATUSES,
    OPEN_STAGES,
    SETTABLE_LEAD_STATUSES,
    STAGES,
    TEXT_LENGTHS,
)

LEAD_SORTS: tuple[str, ...] = (
    "open_first",  # open leads (not converted or unqualified) first, then by score: a rep's worklist
    "score_desc",
    "score_asc",
    "created_desc",
    "created_asc",
    "updated_desc",
    "name",
    "company",
    "email",
)
OPPORTUNITY_SORTS: tuple[str, ...] = ("close_date", "amount_desc", "created_desc", "updated_desc", "name")
MAX_PAGE_SIZE = 500


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _check_email(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("not a valid email address") from None


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blanks_are_missing(cls, value: Any) -> Any:
        return _blank_to_none(value)


class _LeadFields(_Input):
    """Fields a person may set on a lead (all optional here; LeadCreate adds what is required)."""

    first_name: Annotated[str, Field(max_length=TEXT_LENGTHS["first_name"])] | None = None
    last_name: Annotated[str, Field(max_length=TEXT_LENGTHS["last_name"])] | None = None
    email: Annotated[str, Field(max_length=TEXT_LENGTHS["email"])] | None = None
    phone: Annotated[str, Field(max_length=TEXT_LENGTHS["phone"])] | None = None
    company: Annotated[str, Field(max_length=TEXT_LENGTHS["company"])] | None = None
    title: Annotated[str, Field(max_length=TEXT_LENGTHS["title"])] | None = None
    industry: Annotated[str, Field(max_length=TEXT_LENGTHS["industry"])] | None = None
    employee_count: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    annual_revenue: Annotated[Decimal, Field(ge=0, le=Decimal("99999999999999.99"), decimal_places=2)] | None = None
    country: Annotated[str, Field(max_length=TEXT_LENGTHS["country"])] | None = None
    source: Annotated[str, Field(max_length=TEXT_LENGTHS["source"])] | None = None
    campaign: Annotated[str, Field(max_length=TEXT_LENGTHS["campaign"])] | None = None
    engagement_score: Annotated[int, Field(ge=0, le=100)] | None = None
    owner_id: uuid.UUID | None = None
    territory_id: uuid.UUID | None = None

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        return _check_email(value)

    @field_validator("phone")
    @classmethod
    def _phone_has_digits(cls, value: str | None) -> str | None:
        if value is not None and sum(ch.isdigit() for ch in value) < 5:
            raise ValueError("needs at least 5 digits")
        return value


class LeadCreate(_LeadFields):
    """A new lead. ``last_name`` and ``email`` are required; status defaults to ``new``."""

    last_name: Annotated[str, Field(max_length=TEXT_LENGTHS["last_name"])]
    email: Annotated[str, Field(max_length=TEXT_LENGTHS["email"])]
    status: Literal[SETTABLE_LEAD_STATUSES] = "new"  # type: ignore[valid-type]
    external_id: Annotated[str, Field(max_length=TEXT_LENGTHS["external_id"])] | None = None
    created_at: datetime | None = None  # imports may carry the original creation time


class LeadUpdate(_LeadFields):
    """A partial edit of a lead: only the fields that were set are changed."""

    status: Literal[SETTABLE_LEAD_STATUSES] | None = None  # type: ignore[valid-type]


class LeadQuery(_Input):
    """Search, filters, sort and page of the lead list."""

    q: Annotated[str, Field(max_length=200)] | None = None
    status: Literal[LEAD_STATUSES] | None = None  # type: ignore[valid-type]
    owner_id: uuid.UUID | None = None
    territory_id: uuid.UUID | None = None
    source: Annotated[str, Field(max_length=TEXT_LENGTHS["source"])] | None = None
    score_min: Annotated[float, Field(ge=0, le=100)] | None = None
    score_max: Annotated[float, Field(ge=0, le=100)] | None = None
    created_from: date | None = None
    created_to: date | None = None  # inclusive
    sort: Literal[LEAD_SORTS] = "score_desc"  # type: ignore[valid-type]
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 50
    offset: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _ranges_in_order(self) -> LeadQuery:
        if self.score_min is not None and self.score_max is not None and self.score_min > self.score_max:
            raise ValueError("score_min must not exceed score_max")
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("created_from must not be after created_to")
        return self


class LeadConversion(_Input):
    """What a rep fills in to convert a qualified lead into an opportunity."""

    name: Annotated[str, Field(max_length=TEXT_LENGTHS["name"])]
    amount: Annotated[Decimal, Field(ge=0, le=Decimal("999999999999.99"), decimal_places=2)]
    stage: Literal[OPEN_STAGES] = "prospecting"  # type: ignore[valid-type]
    expected_close_date: date | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    account_name: Annotated[str, Field(max_length=TEXT_LENGTHS["name"])] | None = None  # default: the lead's company
    account_domain: Annotated[str, Field(max_length=TEXT_LENGTHS["domain"])] | None = (
        None  # default: the lead's email domain (not for free-mail domains)
    )

    @field_validator("currency", mode="before")
    @classmethod
    def _upper_currency(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) and value.strip() else "USD"


class OpportunityUpdate(_Input):
    """A partial edit of an opportunity (stage changes go through ``change_stage``)."""

    name: Annotated[str, Field(max_length=TEXT_LENGTHS["name"])] | None = None
    amount: Annotated[Decimal, Field(ge=0, le=Decimal("999999999999.99"), decimal_places=2)] | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    expected_close_date: date | None = None
    probability: Annotated[Decimal, Field(ge=0, le=100)] | None = None
    forecast_category: Literal[FORECAST_CATEGORIES] | None = None  # type: ignore[valid-type]
    owner_id: uuid.UUID | None = None


class StageChange(_Input):
    """A requested stage move (the API may build this; services also take plain arguments)."""

    to_stage: Literal[STAGES]  # type: ignore[valid-type]
    expected_version: int
    reason: Annotated[str, Field(max_length=2000)] | None = None
    lost_reason: Annotated[str, Field(max_length=TEXT_LENGTHS["lost_reason"])] | None = None


def field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """``[(field, problem), ...]`` from a pydantic error, in words a person understands."""
    return [(".".join(str(p) for p in err.get("loc", ())) or "input", problem_in_words(err)) for err in exc.errors()]


_PROBLEMS: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "string_too_long": "at most {max_length} characters",
    "string_too_short": "at least {min_length} characters",
    "too_long": "at most {max_length} items",
    "too_short": "at least {min_length} items",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be more than {gt}",
    "less_than": "must be less than {lt}",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "decimal_parsing": "must be a number",
    "decimal_type": "must be a number",
    "finite_number": "must be a number",
    "decimal_max_places": "at most {decimal_places} decimal places",
    "decimal_max_digits": "at most {max_digits} digits",
    "decimal_whole_digits": "at most {whole_digits} digits before the decimal point",
    "uuid_parsing": "is not a valid id",
    "uuid_type": "is not a valid id",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_type": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "must be a date (YYYY-MM-DD), without a time",
    "datetime_parsing": "must be a date and time (YYYY-MM-DD HH:MM)",
    "datetime_type": "must be a date and time (YYYY-MM-DD HH:MM)",
    "datetime_from_date_parsing": "must be a date and time (YYYY-MM-DD HH:MM)",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
}


def problem_in_words(error: Mapping[str, Any]) -> str:
    """One pydantic error's problem in the product's wording ("is required", "at most 200 characters").

    A blank value counts as missing, so a required field left blank reads "is required" on every
    form and in the API alike (never "Input should be a valid string").
    """
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    if kind.endswith("_type") and error.get("input", "") is None:
        return "is required"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"must be one of {expected}" if expected else "is not one of the allowed values"
    if kind in _PROBLEMS:
        try:
            return _PROBLEMS[kind].format(**{k: _plain(v) for k, v in ctx.items()})
        except (KeyError, IndexError):
            pass
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if message.startswith("Input should be "):
        message = "must be " + message.removeprefix("Input should be ")
    return message


def _plain(value: Any) -> Any:
    """A number as people write it (``Decimal('0')`` → ``0``, ``10000000`` → ``10,000,000``)."""
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:,}"
    return value


CLOSED = CLOSED_STAGES  # re-exported for forms that group stages
