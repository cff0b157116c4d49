"""Opportunity use cases: convert a lead, move stages, edit, read and list.

Every stage, amount and close-date change appends a row to ``opportunity_stage_history`` in
the same transaction (through :func:`record_stage_change`, the one place stage writes happen),
and every write is audited. Stale edits are refused through the ``version`` column.

Double submit of a conversion: the lead row is locked (``SELECT … FOR UPDATE``); a second call
for an already converted lead returns the opportunity created the first time, unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from core.metrics import OPPORTUNITY_STAGE_CHANGE
from crm import audit
from crm.accounts import company_domain, find_or_create_account
from crm.actors import Actor
from crm.errors import DomainError, InvalidStageTransition, NotFound, ValidationFailed
from crm.permissions import ensure_can_edit, ensure_can_view, ensure_can_write, visible_owner_ids
from crm.records import check_version, parse_input
from models import Lead, Opportunity, OpportunityStageHistory, User
from models.domain import (
    CLOSED_STAGES,
    OPEN_STAGES,
    STAGE_FORECAST_CATEGORY,
    STAGE_PROBABILITY,
    STAGES,
    title_case,
)
from models.schemas import LeadConversion, OpportunityUpdate

OPPORTUNITY_FIELDS: tuple[str, ...] = (
    "name",
    "stage",
    "amount",
    "currency",
    "probability",
    "forecast_category",
    "expected_close_date",
    "closed_at",
    "lost_reason",
    "owner_id",
    "account_id",
)


@dataclass(frozen=True)
class OpportunityPage:
    """One page of an opportunity list."""

    rows: list[Opportunity]
    total: int
    limit: int
    offset: int

    @property
    def has_more(self) -> bool:
        """True when rows exist beyond this page."""
        return self.offset + len(self.rows) < self.total


@dataclass(frozen=True)
class TimelineEntry:
    """One change in a deal's life: stage move, amount or close-date change."""

    changed_at: datetime
    from_stage: str | None
    to_stage: str
    amount: Decimal | None
    expected_close_date: date | None
    changed_by_id: uuid.UUID | None
    changed_by_name: str
    reason: str | None

    @property
    def is_stage_change(self) -> bool:
        """True when the stage moved (not only amount or close date)."""
        return self.from_stage != self.to_stage


def _values(opp: Opportunity) -> dict[str, Any]:
    return {k: getattr(opp, k) for k in OPPORTUNITY_FIELDS}


def record_stage_change(
    session: Session,
    *,
    opportunity: Opportunity,
    from_stage: str | None,
    actor: Actor | None,
    reason: str | None = None,
) -> OpportunityStageHistory:
    """Append the deal's state after a change to its history (the single place history is written).

    Real stage moves also count in ``sales_opportunity_stage_change_total`` once the transaction commits.
    """
    row = OpportunityStageHistory(
        id=uuid.uuid4(),
        opportunity_id=opportunity.id,
        from_stage=from_stage,
        to_stage=opportunity.stage,
        amount=opportunity.amount,
        expected_close_date=opportunity.expected_close_date,
        changed_by_id=actor.id if actor is not None else None,
        reason=reason,
        changed_at=func.clock_timestamp(),  # ordered even when one transaction writes several rows
    )
    session.add(row)
    session.flush()
    if from_stage is not None and from_stage != opportunity.stage:
        labels = {"from_stage": from_stage, "to_stage": opportunity.stage}
        audit.after_commit(session, lambda: OPPORTUNITY_STAGE_CHANGE.labels(**labels).inc())
    return row


def _lock(session: Session, opportunity_id: uuid.UUID) -> Opportunity:
    opp = session.scalar(
        select(Opportunity)
        .where(Opportunity.id == opportunity_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if opp is None:
        raise NotFound(f"No opportunity with id {opportunity_id}", field="opportunity_id")
    return opp


def convert_lead(
    *, session: Session, lead_id: uuid.UUID, data: LeadConversion | Mapping[str, Any], actor: Actor
) -> Opportunity:
    """Turn a qualified lead into an opportunity (account found or created, lead linked, first history row)."""
    ensure_can_write(actor)
    data = parse_input(LeadConversion, data)
    lead = session.scalar(
        select(Lead).where(Lead.id == lead_id).with_for_update().execution_options(populate_existing=True)
    )
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    ensure_can_edit(actor, lead.owner_id, session=session)
    if lead.status == "converted" and lead.converted_opportunity_id is not None:
        existing = session.get(Opportunity, lead.converted_opportunity_id)
        if existing is not None:
            return existing  # double submit: the first conversion stands
    if lead.status != "qualified":
        raise DomainError(
            f"Only qualified leads can be converted; this lead is {title_case(lead.status)}. "
            "Qualify it first (set its status to Qualified).",
            field="status",
        )

    account_name = data.account_name or lead.company or lead.full_name
    account_domain = data.account_domain or company_domain(lead.email)
    account, _ = find_or_create_account(
        session=session,
        name=account_name,
        domain=account_domain,
        actor=actor,
        details={
            "industry": lead.industry,
            "employee_count": lead.employee_count,
            "annual_revenue": lead.annual_revenue,
            "country": lead.country,
            "owner_id": lead.owner_id,
            "territory_id": lead.territory_id,
        },
    )
    opp = Opportunity(
        id=uuid.uuid4(),
        name=data.name,
        account_id=account.id,
        lead_id=lead.id,
        owner_id=lead.owner_id,
        territory_id=lead.territory_id,
        stage=data.stage,
        amount=data.amount,
        currency=data.currency,
        probability=Decimal(STAGE_PROBABILITY[data.stage]),
        forecast_category=STAGE_FORECAST_CATEGORY[data.stage],
        expected_close_date=data.expected_close_date,
        source=lead.source,
    )
    session.add(opp)
    session.flush()
    record_stage_change(session, opportunity=opp, from_stage=None, actor=actor, reason="converted from lead")

    lead.status = "converted"
    lead.converted_opportunity_id = opp.id
    lead.converted_at = func.now()
    lead.account_id = account.id
    session.flush()
    audit.record(session, actor=actor, entity_type="opportunity", entity_id=opp.id, action="create", changes={
        **{k: v for k, v in _values(opp).items() if v is not None},
        "lead_id": lead.id,
    })  # fmt: skip
    audit.record(
        session,
        actor=actor,
        entity_type="lead",
        entity_id=lead.id,
        action="convert",
        changes={"status": ["qualified", "converted"], "converted_opportunity_id": opp.id, "account_id": account.id},
    )
    session.refresh(lead)
    session.refresh(opp)
    return opp


def may_change_closed_deal(actor: Actor) -> bool:
    """Closed deals (won or lost) are reopened or edited only by managers and admins."""
    return actor.role in ("manager", "admin")


def _check_transition(
    opp: Opportunity, to_stage: str, actor: Actor, reason: str | None, lost_reason: str | None
) -> None:
    if to_stage not in STAGES:
        raise ValidationFailed([("to_stage", f"must be one of {', '.join(STAGES)}")])
    current = opp.stage
    if to_stage == current:
        raise InvalidStageTransition(f"The deal is already in {title_case(current)}", field="to_stage")
    if current in CLOSED_STAGES:
        if not may_change_closed_deal(actor):
            raise InvalidStageTransition(
                f"This deal is {title_case(current)}; only a manager or an admin can reopen it", field="to_stage"
            )
        if not reason:
            raise InvalidStageTransition("Reopening a closed deal needs a reason", field="reason")
    elif to_stage in OPEN_STAGES and OPEN_STAGES.index(to_stage) < OPEN_STAGES.index(current) and not reason:
        raise InvalidStageTransition(
            f"Moving back from {title_case(current)} to {title_case(to_stage)} needs a reason", field="reason"
        )
    if to_stage == "closed_lost" and not lost_reason:
        raise InvalidStageTransition("Closing a deal as lost needs a lost reason", field="lost_reason")


def change_stage(
    *,
    session: Session,
    opportunity_id: uuid.UUID,
    to_stage: str,
    expected_version: int,
    actor: Actor,
    reason: str | None = None,
    lost_reason: str | None = None,
) -> Opportunity:
    """Move a deal to another stage under the stage rules; history and audit in the same transaction."""
    ensure_can_write(actor)
    reason = (reason or "").strip() or None
    lost_reason = (lost_reason or "").strip() or None
    opp = _lock(session, opportunity_id)
    ensure_can_edit(actor, opp.owner_id, session=session)
    check_version(
        session=session,
        entity_type="opportunity",
        record=opp,
        expected_version=expected_version,
        fields=OPPORTUNITY_FIELDS,
    )
    _check_transition(opp, to_stage, actor, reason, lost_reason)

    before = _values(opp)
    from_stage = opp.stage
    opp.stage = to_stage
    opp.probability = Decimal(STAGE_PROBABILITY[to_stage])
    opp.forecast_category = STAGE_FORECAST_CATEGORY[to_stage]
    if to_stage in CLOSED_STAGES:
        opp.closed_at = func.now() if from_stage not in CLOSED_STAGES or opp.closed_at is None else opp.closed_at
        opp.lost_reason = lost_reason if to_stage == "closed_lost" else None
    else:
        opp.closed_at = None
        opp.lost_reason = None
    session.flush()
    session.refresh(opp)
    record_stage_change(session, opportunity=opp, from_stage=from_stage, actor=actor, reason=reason or lost_reason)
    changes = audit.diff(before, _values(opp))
    if reason:
        changes["reason"] = reason
    audit.record(
        session, actor=actor, entity_type="opportunity", entity_id=opp.id, action="stage_change", changes=changes
    )
    return opp


def update_opportunity(
    *,
    session: Session,
    opportunity_id: uuid.UUID,
    data: OpportunityUpdate | Mapping[str, Any],
    expected_version: int,
    actor: Actor,
    reason: str | None = None,
) -> Opportunity:
    """Edit name, amount, close date, currency, probability, forecast category or owner."""
    ensure_can_write(actor)
    data = parse_input(OpportunityUpdate, data)
    opp = _lock(session, opportunity_id)
    ensure_can_edit(actor, opp.owner_id, session=session)
    check_version(
        session=session,
        entity_type="opportunity",
        record=opp,
        expected_version=expected_version,
        fields=OPPORTUNITY_FIELDS,
    )
    changes = {k: getattr(data, k) for k in data.model_fields_set}
    for required in ("name", "amount", "currency"):
        if required in changes and changes[required] is None:
            raise ValidationFailed([(required, "is required")])
    if opp.stage in CLOSED_STAGES and not may_change_closed_deal(actor):
        raise DomainError(
            f"This deal is {title_case(opp.stage)}; only a manager or an admin can edit it", field="stage"
        )
    if changes.get("owner_id") is not None and changes["owner_id"] != opp.owner_id:
        ensure_can_edit(actor, changes["owner_id"], session=session)
        if not session.scalar(select(User.is_active).where(User.id == changes["owner_id"])):
            raise ValidationFailed([("owner_id", "is not an active user")])

    before = _values(opp)
    for key, value in changes.items():
        setattr(opp, key, value)
    delta = audit.diff(before, _values(opp))
    if not delta:
        return opp
    session.flush()
    session.refresh(opp)
    if "amount" in delta or "expected_close_date" in delta:
        record_stage_change(session, opportunity=opp, from_stage=opp.stage, actor=actor, reason=reason)
    audit.record(session, actor=actor, entity_type="opportunity", entity_id=opp.id, action="update", changes=delta)
    return opp


def get_opportunity(*, session: Session, opportunity_id: uuid.UUID, actor: Actor) -> Opportunity:
    """One opportunity the actor may see."""
    opp = session.get(Opportunity, opportunity_id)
    if opp is None:
        raise NotFound(f"No opportunity with id {opportunity_id}", field="opportunity_id")
    ensure_can_view(actor, opp.owner_id, session=session)
    return opp


_SORTS: dict[str, list[Any]] = {
    "close_date": [Opportunity.expected_close_date.asc().nulls_last(), Opportunity.id],
    "amount_desc": [Opportunity.amount.desc(), Opportunity.id],
    "created_desc": [Opportunity.created_at.desc(), Opportunity.id],
    "updated_desc": [Opportunity.updated_at.desc(), Opportunity.id],
    "name": [func.lower(Opportunity.name), Opportunity.id],
}


def list_opportunities(
    *,
    session: Session,
    actor: Actor,
    stage: str | None = None,
    owner_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    open_only: bool = False,
    q: str | None = None,
    sort: str = "close_date",
    limit: int = 50,
    offset: int = 0,
) -> OpportunityPage:
    """A page of the opportunities the actor may see, filtered and sorted, with the total."""
    if sort not in _SORTS:
        raise ValidationFailed([("sort", f"must be one of {', '.join(_SORTS)}")])
    if stage is not None and stage not in STAGES:
        raise ValidationFailed([("stage", f"must be one of {', '.join(STAGES)}")])
    if not 1 <= limit <= 500:
        raise ValidationFailed([("limit", "must be between 1 and 500")])
    if offset < 0:
        raise ValidationFailed([("offset", "must not be negative")])
    conds: list[ColumnElement[bool]] = []
    owners = visible_owner_ids(session=session, actor=actor)
    if owners is not None:
        if owner_id is not None and owner_id not in owners:
            return OpportunityPage([], 0, limit, offset)
        conds.append(Opportunity.owner_id.in_(sorted(owners)))
    if owner_id is not None:
        conds.append(Opportunity.owner_id == owner_id)
    if stage:
        conds.append(Opportunity.stage == stage)
    if open_only:
        conds.append(Opportunity.stage.in_(OPEN_STAGES))
    if account_id:
        conds.append(Opportunity.account_id == account_id)
    if q and q.strip():
        escaped = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append(func.lower(Opportunity.name).like(f"%{escaped}%"))
    rows = list(session.scalars(select(Opportunity).where(*conds).order_by(*_SORTS[sort]).limit(limit).offset(offset)))
    total = session.scalar(select(func.count()).select_from(Opportunity).where(*conds)) or 0
    return OpportunityPage(rows, int(total), limit, offset)


def stage_timeline(*, session: Session, opportunity_id: uuid.UUID, actor: Actor) -> list[TimelineEntry]:
    """The deal's history, oldest first, with who made each change and why."""
    get_opportunity(session=session, opportunity_id=opportunity_id, actor=actor)
    rows = session.execute(
        select(OpportunityStageHistory, User.name)
        .outerjoin(User, User.id == OpportunityStageHistory.changed_by_id)
        .where(OpportunityStageHistory.opportunity_id == opportunity_id)
        .order_by(OpportunityStageHistory.changed_at, OpportunityStageHistory.id)
    ).all()
    return [
        TimelineEntry(
            changed_at=h.changed_at,
            from_stage=h.from_stage,
            to_stage=h.to_stage,
            amount=h.amount,
            expected_close_date=h.expected_close_date,
            changed_by_id=h.changed_by_id,
            changed_by_name=name or "system",
            reason=h.reason,
        )
        for h, name in rows
    ]
