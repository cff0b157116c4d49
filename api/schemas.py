"""Response bodies of the REST API (inputs are the shared schemas in models/schemas.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from models.domain import STAGES
from models.schemas import LeadUpdate, OpportunityUpdate

Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class TokenResponse(BaseModel):
    """A bearer token from ``POST /api/v1/auth/token``."""

    access_token: str = Field(examples=["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."])
    token_type: str = Field(default="bearer", examples=["bearer"])
    expires_in: int = Field(description="Seconds until the token expires", examples=[1800])


class Me(BaseModel):
    """The signed-in identity."""

    id: uuid.UUID
    email: str
    name: str
    role: str = Field(examples=["rep"])
    team_id: uuid.UUID | None = None


class LeadOut(BaseModel):
    """A lead as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    external_id: str | None = None
    first_name: str | None = Field(default=None, examples=["John"])
    last_name: str | None = Field(default=None, examples=["Doe"])
    full_name: str = Field(examples=["John Doe"])
    email: str | None = Field(default=None, examples=["john.doe@example.com"])
    phone: str | None = None
    company: str | None = Field(default=None, examples=["Acme Corp"])
    title: str | None = Field(default=None, examples=["VP Engineering"])
    industry: str | None = Field(default=None, examples=["Technology"])
    employee_count: int | None = Field(default=None, examples=[500])
    annual_revenue: Money | None = Field(default=None, examples=[50000000])
    country: str | None = None
    source: str | None = Field(default=None, examples=["web"])
    campaign: str | None = None
    status: str = Field(examples=["new"])
    engagement_score: int | None = Field(default=None, examples=[85])
    score: Money | None = Field(default=None, description="Lead score 0–100", examples=[87.5])
    owner_id: uuid.UUID | None = None
    territory_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    converted_opportunity_id: uuid.UUID | None = None
    converted_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Send it back in PATCH to detect concurrent edits", examples=[1])


class Pagination(BaseModel):
    """Where a page sits in the whole result."""

    total: int = Field(examples=[1234])
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])
    has_more: bool = Field(examples=[True])
    total_is_exact: bool = Field(
        default=True, description="False when `total` is the planner's estimate (lead searches above 1,000 matches)"
    )


class LeadPageOut(BaseModel):
    """One page of leads."""

    data: list[LeadOut]
    pagination: Pagination


class LeadPatch(LeadUpdate):
    """A partial edit of a lead plus the ``version`` you read (a stale version gets 409)."""

    version: int = Field(ge=1, description="The lead's version when you read it", examples=[1])


class OpportunityOut(BaseModel):
    """An opportunity as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    external_id: str | None = None
    name: str = Field(examples=["Acme Corp — platform"])
    account_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    territory_id: uuid.UUID | None = None
    stage: str = Field(examples=["discovery"])
    amount: Money = Field(examples=[25000])
    currency: str = Field(examples=["USD"])
    probability: Money | None = Field(default=None, description="Win probability in percent", examples=[20])
    forecast_category: str | None = Field(default=None, examples=["pipeline"])
    expected_close_date: date | None = None
    closed_at: datetime | None = None
    lost_reason: str | None = None
    source: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int = Field(examples=[1])


class OpportunityPageOut(BaseModel):
    """One page of opportunities."""

    data: list[OpportunityOut]
    pagination: Pagination


class OpportunityPatch(OpportunityUpdate):
    """A partial edit of an opportunity, optionally moving its stage (same rules as the forms)."""

    stage: Literal[STAGES] | None = Field(  # type: ignore[valid-type]
        default=None, examples=["proposal"], description="Move to this stage"
    )
    reason: str | None = Field(default=None, max_length=2000, description="Why (required when a deal moves backwards)")
    lost_reason: str | None = Field(default=None, max_length=200, description="Required when moving to closed_lost")
    version: int = Field(ge=1, description="The opportunity's version when you read it", examples=[1])


class ConvertedLead(BaseModel):
    """The result of converting a lead."""

    lead: LeadOut
    opportunity: OpportunityOut


class StageSummary(BaseModel):
    """Open pipeline in one stage."""

    stage: str = Field(examples=["proposal"])
    open_count: int = Field(examples=[12])
    open_amount: float = Field(examples=[300000.0])
    weighted_amount: float = Field(examples=[150000.0])


class PipelineSummary(BaseModel):
    """Open pipeline totals and their split by stage."""

    open_count: int = Field(examples=[40])
    open_amount: float = Field(examples=[1000000.0])
    weighted_amount: float = Field(examples=[320000.0])
    by_stage: list[StageSummary]


class PipelineOut(BaseModel):
    """The open pipeline read from the warehouse, with how fresh it is."""

    summary: PipelineSummary
    owner_id: uuid.UUID | None = None
    as_of: datetime | None = Field(description="PostgreSQL's clock when the warehouse's data was extracted")


class ImportProblem(BaseModel):
    """One problem in one row (``row_number`` counts the header as row 1, as a spreadsheet does)."""

    row_number: int = Field(examples=[7])
    field: str = Field(examples=["email"])
    value: str = Field(examples=["john@"])
    reason: str = Field(examples=["not a valid email address"])


class ImportReportOut(BaseModel):
    """What an import read, wrote (or, on a dry run or with bad rows, would write) and rejected."""

    entity: str = Field(examples=["leads"])
    summary: str = Field(examples=["leads: 1000 rows read, inserted 998, updated 0, unchanged 0, 2 bad rows ..."])
    rows_read: int = Field(examples=[1000])
    inserted: int = Field(examples=[998])
    updated: int = Field(examples=[0])
    unchanged: int = Field(examples=[0])
    rows_rejected: int = Field(examples=[2])
    error_count: int = Field(examples=[2])
    committed: bool = Field(description="True when the rows were kept; false on a dry run or when errors rolled back")
    dry_run: bool
    skip_bad_rows: bool
    notes: list[str]
    errors: list[ImportProblem]


class ApiKeyCreate(BaseModel):
    """A new integration key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, examples=["Marketing webhook"])
    user_id: uuid.UUID | None = Field(default=None, description="The user the key acts as (default: you)")
    expires_at: datetime | None = None


class ApiKeyOut(BaseModel):
    """An API key's record (never its secret)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="The secret's first characters, to recognise it", examples=["sk_AbCdEfG"])
    user_id: uuid.UUID
    created_by_id: uuid.UUID | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    created_at: datetime


class ApiKeyCreated(ApiKeyOut):
    """A new key with its secret: shown this once, store it now."""

    key: str = Field(description="Send as the X-API-Key header", examples=["sk_3q2...Zx"])


class Health(BaseModel):
    """Whether the service can do its job."""

    status: str = Field(examples=["ok"], description="ok, or degraded when the database is unreachable")
    version: str = Field(examples=["0.1.0"])
    database: str = Field(examples=["ok"])
    warehouse: str = Field(examples=["ok"], description="ok, missing or error")
    warehouse_as_of: datetime | None = None
    warehouse_age_seconds: float | None = None
