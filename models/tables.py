"""The tables of the system of record (PostgreSQL). Plural names, UUID keys, UTC timestamps.

``created_at``/``updated_at`` exist on every table; ``updated_at`` (and ``version`` where present)
are maintained by database triggers (see the first migration), so any writer is seen by the ETL.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.domain import FORECAST_CATEGORIES, LEAD_STATUSES, ROLES, STAGES, TEXT_LENGTHS, sql_in

Money = Numeric(14, 2)

# The lead search expression; crm.leads uses the same text so the planner matches the index.
LEAD_SEARCH_EXPRESSION = (
    "lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || "
    "coalesce(email, '') || ' ' || coalesce(company, ''))"
)


def _pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, default=uuid.uuid4, server_default=text("gen_random_uuid()")
    )


def _created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _updated_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _version() -> Mapped[int]:
    return mapped_column(Integer, nullable=False, server_default=text("1"), default=1)


class Team(Base):
    """A sales team led by a manager."""

    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = _pk()
    name: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    manager_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True), index=True
    )
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    version: Mapped[int] = _version()


class Territory(Base):
    """A sales territory; ``rules`` decide which leads it receives (highest priority wins)."""

    __tablename__ = "territories"

    id: Mapped[uuid.UUID] = _pk()
    name: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    region: Mapped[str | None] = mapped_column(String(80))
    rules: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb"), default=list
    )
    priority: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("100"), default=100)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"), default=True)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    version: Mapped[int] = _version()


class User(Base):
    """A person who signs in: rep, manager, analyst or admin."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {sql_in(ROLES)}", name="role_valid"),
        CheckConstraint("email = btrim(email) AND email LIKE '%_@_%'", name="email_shape"),
        Index("uq_users_email_lower", text("lower(email)"), unique=True),
    )

    id: Mapped[uuid.UUID] = _pk()
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"), default=True)
    manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    territory_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("territories.id", ondelete="SET NULL"), index=True
    )
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    version: Mapped[int] = _version()

    manager: Mapped[User | None] = relationship(remote_side="User.id", foreign_keys=[manager_id])
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
    territory: Mapped[Territory | None] = relationship()


class Account(Base):
    """A company we sell to."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("employee_count IS NULL OR employee_count >= 0", name="employee_count_nonnegative"),
        CheckConstraint("annual_revenue IS NULL OR annual_revenue >= 0", name="annual_revenue_nonnegative"),
        Index("ix_accounts_name_lower", text("lower(name)")),
        Index("ix_accounts_domain_lower", text("lower(domain)")),
    )

    id: Mapped[uuid.UUID] = _pk()
    external_id: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["external_id"]), unique=True)
    name: Mapped[str] = mapped_column(String(TEXT_LENGTHS["name"]), nullable=False)
    domain: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["domain"]))
    industry: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["industry"]))
    employee_count: Mapped[int | None] = mapped_column(Integer)
    annual_revenue: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    country: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["country"]))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    territory_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("territories.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    version: Mapped[int] = _version()


def lead_full_name(first_name: str | None, last_name: str | None, email: str | None) -> str:
    """A lead's display name: first and last name joined, or the email when both are missing."""
    return " ".join(p for p in (first_name, last_name) if p) or (email or "")


class Lead(Base):
    """A person who may buy; converted into an opportunity once qualified."""

    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(LEAD_STATUSES)}", name="status_valid"),
        CheckConstraint("engagement_score IS NULL OR engagement_score BETWEEN 0 AND 100", name="engagement_range"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score_range"),
        CheckConstraint("employee_count IS NULL OR employee_count >= 0", name="employee_count_nonnegative"),
        CheckConstraint("annual_revenue IS NULL OR annual_revenue >= 0", name="annual_revenue_nonnegative"),
        CheckConstraint("status <> 'converted' OR converted_at IS NOT NULL", name="converted_has_time"),
        Index("uq_leads_email_lower", text("lower(email)"), unique=True),
        Index("ix_leads_owner_status", "owner_id", "status"),
        Index("ix_leads_created_at", "created_at"),
        Index("ix_leads_updated_at", "updated_at"),
        # Substring search on name, email and company (LIKE '%q%' served by trigrams); see crm.leads.
        Index("ix_leads_search_trgm", text(f"({LEAD_SEARCH_EXPRESSION}) gin_trgm_ops"), postgresql_using="gin"),
        # Duplicate checks: same phone digits, same name and company (near-identical email: the search index).
        Index("ix_leads_phone_digits", text("(regexp_replace(phone, '[^0-9]', '', 'g'))")),
        Index("ix_leads_name_company", text("lower(last_name)"), text("lower(company)")),
        # Default sort (hottest first), overall, per owner and per status.
        Index("ix_leads_score", text("score DESC NULLS LAST"), "id"),
        Index("ix_leads_owner_score", "owner_id", text("score DESC NULLS LAST"), "id"),
        Index("ix_leads_status_score_desc", "status", text("score DESC NULLS LAST"), "id"),
    )

    id: Mapped[uuid.UUID] = _pk()
    external_id: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["external_id"]), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["first_name"]))
    last_name: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["last_name"]))
    email: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["email"]))
    phone: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["phone"]))
    company: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["company"]))
    title: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["title"]))
    industry: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["industry"]))
    employee_count: Mapped[int | None] = mapped_column(Integer)
    annual_revenue: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    country: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["country"]))
    source: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["source"]))
    campaign: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["campaign"]))
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default=text("'new'"), default="new")
    engagement_score: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Numeric(5, 2))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    territory_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("territories.id", ondelete="SET NULL"), index=True
    )
    territory_reason: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    converted_opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL", use_alter=True)
    )
    converted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    version: Mapped[int] = _version()

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    territory: Mapped[Territory | None] = relationship()

    @property
    def full_name(self) -> str:
        """First and last name joined, or the email when both are missing."""
        return lead_full_name(self.first_name, self.last_name, self.email)


class Opportunity(Base):
    """A deal in the pipeline."""

    __tablename__ = "opportunities"
    __table_args__ = (
        CheckConstraint(f"stage IN {sql_in(STAGES)}", name="stage_valid"),
        CheckConstraint("amount >= 0", name="amount_nonnegative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("probability IS NULL OR probability BETWEEN 0 AND 100", name="probability_range"),
        CheckConstraint(
            f"forecast_category IS NULL OR forecast_category IN {sql_in(FORECAST_CATEGORIES)}",
            name="forecast_category_valid",
        ),
        CheckConstraint(
            "(stage IN ('closed_won', 'closed_lost')) = (closed_at IS NOT NULL)", name="closed_at_iff_closed"
        ),
        CheckConstraint("stage <> 'closed_lost' OR lost_reason IS NOT NULL", name="lost_has_reason"),
        Index("ix_opportunities_owner_stage", "owner_id", "stage"),
        Index("ix_opportunities_stage", "stage"),
        Index("ix_opportunities_updated_at", "updated_at"),
    )

    id: Mapped[uuid.UUID] = _pk()
    external_id: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["external_id"]), unique=True)
    name: Mapped[str] = mapped_column(String(TEXT_LENGTHS["name"]), nullable=False)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    territory_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("territories.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=text("'prospecting'"), default="prospecting"
    )
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default=text("0"), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), nullable=False, server_default=text("'USD'"), default="USD")
    probability: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    forecast_category: Mapped[str | None] = mapped_column(String(16))
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lost_reason: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["lost_reason"]))
    source: Mapped[str | None] = mapped_column(String(TEXT_LENGTHS["source"]))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    version: Mapped[int] = _version()

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    account: Mapped[Account | None] = relationship()


class OpportunityStageHistory(Base):
    """One row per change of stage, amount or close date: the deal's state after the change."""

    __tablename__ = "opportunity_stage_history"
    __table_args__ = (
        CheckConstraint(f"to_stage IN {sql_in(STAGES)}", name="to_stage_valid"),
        CheckConstraint(f"from_stage IS NULL OR from_stage IN {sql_in(STAGES)}", name="from_stage_valid"),
        Index("ix_opportunity_stage_history_opportunity_changed", "opportunity_id", "changed_at"),
        Index("ix_opportunity_stage_history_updated_at", "updated_at"),
    )

    id: Mapped[uuid.UUID] = _pk()
    opportunity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), nullable=False
    )
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class Quota(Base):
    """A rep's quota for one quarter (``period_start`` is the quarter's first day)."""

    __tablename__ = "quotas"
    __table_args__ = (
        UniqueConstraint("user_id", "period_start"),
        CheckConstraint("amount >= 0", name="amount_nonnegative"),
        CheckConstraint(
            "extract(day FROM period_start) = 1 AND extract(month FROM period_start) IN (1, 4, 7, 10)",
            name="period_is_quarter_start",
        ),
    )

    id: Mapped[uuid.UUID] = _pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, server_default=text("'USD'"), default="USD")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    version: Mapped[int] = _version()


class AuditLog(Base):
    """Who changed what and when: one row per write of a record."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id", "created_at"),)

    id: Mapped[uuid.UUID] = _pk()
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entity_type: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    changes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb"), default=dict
    )
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class SignInFailure(Base):
    """One failed sign-in for an email (kept in PostgreSQL so every app replica throttles alike)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_email_key_failed_at", "email_key", "failed_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    email_key: Mapped[str] = mapped_column(String(320), nullable=False)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class DeletedRecord(Base):
    """Tombstones written by a trigger when a row is hard-deleted, so the ETL can drop it too."""

    __tablename__ = "deleted_records"
    __table_args__ = (Index("ix_deleted_records_updated_at", "updated_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(63), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


# Tables whose updated_at/version are kept by triggers, and whose deletes leave tombstones.
VERSIONED_TABLES: tuple[str, ...] = (
    "teams",
    "territories",
    "users",
    "accounts",
    "leads",
    "opportunities",
    "quotas",
)
UNVERSIONED_TABLES: tuple[str, ...] = ("opportunity_stage_history", "audit_log", "deleted_records")
TOMBSTONED_TABLES: tuple[str, ...] = (*VERSIONED_TABLES, "opportunity_stage_history")
