"""Lead use cases: create, edit, read, delete, search and export.

Every write checks permissions first, is audited, keeps the score current and detects stale
edits through the ``version`` column (bumped by a database trigger on every UPDATE).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from core.metrics import LEAD_CREATED
from crm import audit
from crm.actors import Actor
from crm.errors import DomainError, DuplicateEmail, NotFound, ValidationFailed
from crm.permissions import (
    can_view,
    editable_owner_ids,
    ensure_can_edit,
    ensure_can_view,
    ensure_can_write,
    visible_owner_ids,
)
from crm.records import check_version, parse_input
from crm.scoring import SCORE_INPUTS, ScoreExplanation, calculate_score, explain_score
from crm.territories import TerritoryRouter, assign_territory
from models import Lead, Territory, User
from models.domain import LEAD_PROFILE_FIELDS
from models.schemas import LeadCreate, LeadQuery, LeadUpdate

# The substring-search expression; migration 0002 indexes exactly this text with pg_trgm.
SEARCH_EXPRESSION = (
    "lower(coalesce(leads.first_name, '') || ' ' || coalesce(leads.last_name, '') || ' ' || "
    "coalesce(leads.email, '') || ' ' || coalesce(leads.company, ''))"
)
EXACT_COUNT_LIMIT = 1_000  # above this many matches, totals are estimates (counting is the slow part)
# Up to this many matches are collected and sorted whole; above it, matches are dense enough that
# walking the sort index finds a page quickly (5,000 measured slower on 1M leads).
SEARCH_COLLECT_LIMIT = EXACT_COUNT_LIMIT
SCORE_FIELDS = SCORE_INPUTS
ROUTING_FIELDS: tuple[str, ...] = ("country", "industry", "employee_count", "annual_revenue")  # what rules read
EDITABLE_FIELDS: tuple[str, ...] = (
    *LEAD_PROFILE_FIELDS,
    "campaign",
    "engagement_score",
    "owner_id",
    "territory_id",
    "status",
)
EXPORT_COLUMNS: tuple[str, ...] = (
    "id",
    *LEAD_PROFILE_FIELDS,
    "campaign",
    "status",
    "engagement_score",
    "score",
    "owner_name",
    "territory_name",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class LeadPage:
    """One page of a lead search; ``total`` is exact up to EXACT_COUNT_LIMIT, else the planner's estimate."""

    rows: list[Any]  # Lead objects, or row mappings of the leads table with ``as_rows``
    total: int
    limit: int
    offset: int
    total_is_exact: bool = True
    more: bool | None = None  # known from fetching one row past the page

    @property
    def has_more(self) -> bool:
        """True when rows exist beyond this page."""
        if self.more is not None:
            return self.more
        return self.offset + len(self.rows) < self.total


def lead_values(lead: Lead) -> dict[str, Any]:
    """The editable and scoring fields of a lead as a plain dict."""
    return {name: getattr(lead, name) for name in (*EDITABLE_FIELDS, "score")}


def explain_lead_score(lead: Lead) -> ScoreExplanation:
    """Why this lead has its score (fit and engagement parts, in words)."""
    return explain_score({k: getattr(lead, k) for k in SCORE_FIELDS})


def _find_email(session: Session, email: str, *, exclude: uuid.UUID | None = None) -> uuid.UUID | None:
    stmt = select(Lead.id).where(func.lower(Lead.email) == email.lower())
    if exclude is not None:
        stmt = stmt.where(Lead.id != exclude)
    return session.scalar(stmt.limit(1))


def _check_owner(session: Session, owner_id: uuid.UUID) -> None:
    active = session.scalar(select(User.is_active).where(User.id == owner_id))
    if not active:
        raise ValidationFailed([("owner_id", "is not an active user")])


def _check_territory(session: Session, territory_id: uuid.UUID) -> str:
    name = session.scalar(select(Territory.name).where(Territory.id == territory_id))
    if name is None:
        raise ValidationFailed([("territory_id", "is not a known territory")])
    return name


def duplicate_email(session: Session, actor: Actor, email: str, existing_id: uuid.UUID | None) -> DuplicateEmail:
    """The DuplicateEmail error as ``actor`` may read it: the owner and id only when they may see the lead."""
    owner = session.execute(
        select(Lead.owner_id, User.name).outerjoin(User, User.id == Lead.owner_id).where(Lead.id == existing_id)
    ).first()
    if existing_id is None or owner is None or not can_view(actor, owner.owner_id, session=session):
        return DuplicateEmail(email)
    return DuplicateEmail(email, existing_id, owner_name="you" if owner.owner_id == actor.id else owner.name)


def _flush_unique(session: Session, email: str | None, actor: Actor) -> None:
    """Flush; a concurrent insert of the same email surfaces as DuplicateEmail, not a crash."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        if email and "uq_leads_email_lower" in str(exc.orig):
            raise duplicate_email(session, actor, email, _find_email(session, email)) from None
        raise


def create_lead(*, session: Session, data: LeadCreate | Mapping[str, Any], actor: Actor) -> Lead:
    """Create a lead: validated, deduplicated by email, scored and routed to a territory and owner."""
    ensure_can_write(actor)
    data = parse_input(LeadCreate, data)
    existing = _find_email(session, data.email)
    if existing is not None:
        raise duplicate_email(session, actor, data.email, existing)
    if data.owner_id is not None:
        ensure_can_edit(actor, data.owner_id, session=session)
        _check_owner(session, data.owner_id)

    values = data.model_dump(exclude={"created_at"})
    territory_reason: str | None
    if data.territory_id is not None:
        territory_reason = f"Territory {_check_territory(session, data.territory_id)} chosen by {actor.name}."
        owner_id = data.owner_id
    else:
        assignment = assign_territory(session=session, fields=values)
        values["territory_id"] = assignment.territory_id
        territory_reason = assignment.reason
        owner_id = data.owner_id
        if owner_id is None and actor.role != "rep" and assignment.owner_id is not None:
            editable = editable_owner_ids(session=session, actor=actor)
            if editable is None or assignment.owner_id in editable:
                owner_id = assignment.owner_id  # a manager's new lead stays inside their team
    if owner_id is None:
        owner_id = actor.id  # a rep owns what they create; anyone else keeps an unrouted lead
        territory_reason = (territory_reason or "") + f" Owner: {actor.name}, who created it."
    values["owner_id"] = owner_id

    lead = Lead(id=uuid.uuid4(), **values, territory_reason=territory_reason.strip() if territory_reason else None)
    if data.created_at is not None:
        lead.created_at = data.created_at
    lead.score = calculate_score(values)
    session.add(lead)
    _flush_unique(session, data.email, actor)
    audit.record(
        session,
        actor=actor,
        entity_type="lead",
        entity_id=lead.id,
        action="create",
        changes={k: v for k, v in lead_values(lead).items() if v is not None},
    )
    source, status = lead.source or "unknown", lead.status
    audit.after_commit(session, lambda: LEAD_CREATED.labels(source=source, status=status).inc())
    session.refresh(lead)
    return lead


def _load_for_update(session: Session, lead_id: uuid.UUID) -> Lead:
    lead = session.scalar(
        select(Lead).where(Lead.id == lead_id).with_for_update().execution_options(populate_existing=True)
    )
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    return lead


def rescore(lead: Lead) -> None:
    """Recompute the lead's score; an unchanged score (``65.4`` vs the stored ``65.40``) is left alone."""
    score = calculate_score({k: getattr(lead, k) for k in SCORE_FIELDS})
    if lead.score is None or not audit.same_value(lead.score, score):
        lead.score = score


def update_lead(
    *,
    session: Session,
    lead_id: uuid.UUID,
    data: LeadUpdate | Mapping[str, Any],
    expected_version: int,
    actor: Actor,
) -> Lead:
    """Apply the fields set in ``data``; refused when the lead changed since ``expected_version``."""
    ensure_can_write(actor)
    data = parse_input(LeadUpdate, data)
    lead = _load_for_update(session, lead_id)
    ensure_can_edit(actor, lead.owner_id, session=session)
    check_version(
        session=session, entity_type="lead", record=lead, expected_version=expected_version, fields=EDITABLE_FIELDS
    )

    changes = {k: getattr(data, k) for k in data.model_fields_set if k in EDITABLE_FIELDS}
    for required in ("last_name", "email", "owner_id"):
        if required in changes and changes[required] is None:
            raise ValidationFailed([(required, "is required")])
    if "status" in changes and changes["status"] is None:
        raise ValidationFailed([("status", "is required")])
    if lead.status == "converted" and changes.get("status") not in (None, "converted"):
        raise DomainError("This lead is converted; its status can no longer change", field="status")
    if changes.get("owner_id") is not None and changes["owner_id"] != lead.owner_id:
        ensure_can_edit(actor, changes["owner_id"], session=session)
        _check_owner(session, changes["owner_id"])
    if changes.get("email") and changes["email"].lower() != (lead.email or "").lower():
        existing = _find_email(session, changes["email"], exclude=lead.id)
        if existing is not None:
            raise duplicate_email(session, actor, changes["email"], existing)
    if changes.get("territory_id") is not None and changes["territory_id"] != lead.territory_id:
        name = _check_territory(session, changes["territory_id"])
        lead.territory_reason = f"Territory {name} chosen by {actor.name}."

    before = lead_values(lead)
    for key, value in changes.items():
        setattr(lead, key, value)
    rescore(lead)
    delta = audit.diff(before, lead_values(lead))
    if not delta:
        return lead
    if "territory_id" not in changes and set(delta) & set(ROUTING_FIELDS):
        with session.no_autoflush:  # one UPDATE (one version) for the whole edit
            reason = _territory_reason_after_edit(session, lead, actor)
        lead.territory_reason = reason
    _flush_unique(session, lead.email, actor)
    audit.record(session, actor=actor, entity_type="lead", entity_id=lead.id, action="update", changes=delta)
    session.refresh(lead)
    return lead


def _territory_reason_after_edit(session: Session, lead: Lead, actor: Actor) -> str:
    """Why the lead is in its territory, checked again after an edit of the fields the rules read.

    The lead keeps its territory and owner (an edit never moves a lead out of its owner's book);
    the reason says whether the current rules still put it there.
    """
    router = TerritoryRouter.load(session)
    territory, rule, _ = router.match({name: getattr(lead, name) for name in ROUTING_FIELDS})
    if territory is not None and rule is not None and territory.id == lead.territory_id:
        return f"Territory {territory.name} by rule: {rule.describe()} (checked again after an edit by {actor.name})."
    current = "No territory"
    if lead.territory_id is not None:
        current = "Territory " + (session.scalar(select(Territory.name).where(Territory.id == lead.territory_id)) or "")
    fits = f"territory {territory.name}" if territory is not None else "no territory"
    return (
        f"{current.strip()} kept after an edit by {actor.name}; by the current rules the lead now fits {fits}. "
        "An admin can move it."
    )


def get_lead(*, session: Session, lead_id: uuid.UUID, actor: Actor) -> Lead:
    """One lead the actor may see."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    ensure_can_view(actor, lead.owner_id, session=session)
    return lead


def delete_lead(*, session: Session, lead_id: uuid.UUID, actor: Actor, expected_version: int | None = None) -> None:
    """Delete a lead that is not converted (converted leads stay as the deal's history)."""
    ensure_can_write(actor)
    lead = _load_for_update(session, lead_id)
    ensure_can_edit(actor, lead.owner_id, session=session)
    check_version(
        session=session, entity_type="lead", record=lead, expected_version=expected_version, fields=EDITABLE_FIELDS
    )
    if lead.status == "converted":
        raise DomainError("A converted lead cannot be deleted; it is part of its opportunity's history", field="status")
    snapshot = {k: v for k, v in lead_values(lead).items() if v is not None}
    audit.record(session, actor=actor, entity_type="lead", entity_id=lead.id, action="delete", changes=snapshot)
    session.delete(lead)
    session.flush()


def _like_pattern(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(session: Session, actor: Actor, query: LeadQuery) -> list[ColumnElement[bool]] | None:
    """WHERE conditions for ``query`` as seen by ``actor``; None when nothing can match."""
    conds: list[ColumnElement[bool]] = []
    owners = visible_owner_ids(session=session, actor=actor)
    if owners is not None:
        if query.owner_id is not None:
            if query.owner_id not in owners:
                return None
        elif len(owners) == 1:
            conds.append(Lead.owner_id == next(iter(owners)))
        else:
            conds.append(Lead.owner_id.in_(sorted(owners)))
    if query.owner_id is not None:
        conds.append(Lead.owner_id == query.owner_id)
    if query.q:
        conds.append(literal_column(SEARCH_EXPRESSION).like(_like_pattern(query.q)))
    if query.status:
        conds.append(Lead.status == query.status)
    if query.territory_id:
        conds.append(Lead.territory_id == query.territory_id)
    if query.source:
        conds.append(func.lower(Lead.source) == query.source.lower())
    if query.score_min is not None:
        conds.append(Lead.score >= query.score_min)
    if query.score_max is not None:
        conds.append(Lead.score <= query.score_max)
    if query.created_from:
        conds.append(Lead.created_at >= datetime.combine(query.created_from, time.min, UTC))
    if query.created_to:
        conds.append(Lead.created_at < datetime.combine(query.created_to + timedelta(days=1), time.min, UTC))
    return conds


def _order(sort: str, entity: Any = Lead) -> list[Any]:
    e = entity
    closed_last = case((e.status.in_(("converted", "unqualified")), 1), else_=0)
    orders: dict[str, list[Any]] = {
        "open_first": [closed_last, e.score.desc().nulls_last(), e.id],
        "score_desc": [e.score.desc().nulls_last(), e.id],
        "score_asc": [e.score.asc().nulls_first(), e.id],
        "created_desc": [e.created_at.desc(), e.id],
        "created_asc": [e.created_at.asc(), e.id],
        "updated_desc": [e.updated_at.desc(), e.id],
        "name": [func.lower(e.last_name), func.lower(e.first_name), e.id],
        "company": [func.lower(e.company), e.id],
        "email": [func.lower(e.email), e.id],
    }
    return orders[sort]


def _capped_count(session: Session, conds: list[ColumnElement[bool]]) -> int:
    """The number of matches, counting at most EXACT_COUNT_LIMIT + 1."""
    capped = select(literal_column("1")).select_from(Lead).where(*conds).limit(EXACT_COUNT_LIMIT + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(capped)) or 0)


def _estimated_count(session: Session, conds: list[ColumnElement[bool]]) -> int:
    """The planner's estimate of the number of matches (cheap; used above EXACT_COUNT_LIMIT)."""
    stmt = select(Lead.id).where(*conds)
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    assert plan is not None
    return int(plan[0]["Plan"]["Plan Rows"])


def search_leads(
    *, session: Session, actor: Actor, query: LeadQuery | Mapping[str, Any], as_rows: bool = False
) -> LeadPage:
    """Server-side search, filters, sort and one page of leads the actor may see, with the total.

    Totals are exact up to EXACT_COUNT_LIMIT matches; above that ``total`` is the planner's
    estimate and ``total_is_exact`` is False (pages show "about N"). ``has_more`` is always exact.
    With ``as_rows`` the page holds read-only row mappings of the leads table's columns instead of
    ORM objects (the API's hot read: no identity map, no instance construction).
    """
    query = parse_input(LeadQuery, query)
    conds = _conditions(session, actor, query)
    if conds is None:
        return LeadPage([], 0, query.limit, query.offset)
    # Few matches (any search, or filters the planner expects to match few leads): one statement
    # collects up to SEARCH_COLLECT_LIMIT + 1 of them; when that is all, the page and the exact total
    # come from this small set, and a rare substring never walks the whole score index.
    estimate = None if query.q else _estimated_count(session, conds)
    if estimate is None or estimate <= 5 * EXACT_COUNT_LIMIT:
        matched = select(Lead).where(*conds).limit(SEARCH_COLLECT_LIMIT + 1).cte("matched").prefix_with("MATERIALIZED")
        found = select(func.count()).select_from(matched).scalar_subquery().label("found")
        if as_rows:
            stmt = select(*matched.c, found).order_by(*_order(query.sort, matched.c))
        else:
            entity = aliased(Lead, matched)
            stmt = select(entity, found).order_by(*_order(query.sort, entity))
        result = session.execute(stmt.limit(query.limit + 1).offset(query.offset)).all()
        matches = int(result[0].found) if result else _capped_count(session, conds)
        if matches <= SEARCH_COLLECT_LIMIT:
            rows: list[Any] = [r._mapping for r in result] if as_rows else [r[0] for r in result]
            more = len(rows) > query.limit
            return LeadPage(rows[: query.limit], matches, query.limit, query.offset, total_is_exact=True, more=more)
    # Many matches: walk the sort order's index; the total is the planner's estimate.
    page = select(Lead.__table__ if as_rows else Lead).where(*conds).order_by(*_order(query.sort))
    page = page.limit(query.limit + 1).offset(query.offset)
    rows = list(session.execute(page).mappings()) if as_rows else list(session.scalars(page))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    if not more and rows:
        return LeadPage(rows, query.offset + len(rows), query.limit, query.offset, total_is_exact=True, more=False)
    estimate = estimate if estimate is not None else _estimated_count(session, conds)
    total = max(estimate, query.offset + len(rows) + int(more), EXACT_COUNT_LIMIT + 1)
    return LeadPage(rows, total, query.limit, query.offset, total_is_exact=False, more=more)


def _export_select(conds: list[ColumnElement[bool]], sort: str) -> Select[Any]:
    owner = User.__table__.alias("owner")
    return (
        select(
            *(getattr(Lead, c) for c in EXPORT_COLUMNS if c not in ("owner_name", "territory_name")),
            owner.c.name.label("owner_name"),
            Territory.name.label("territory_name"),
        )
        .select_from(Lead)
        .outerjoin(owner, owner.c.id == Lead.owner_id)
        .outerjoin(Territory, Territory.id == Lead.territory_id)
        .where(*conds)
        .order_by(*_order(sort))
    )


def iter_leads_for_export(
    *, session: Session, actor: Actor, query: LeadQuery | Mapping[str, Any], batch_size: int = 2000
) -> Iterator[dict[str, Any]]:
    """Every lead of the current view (filters and sort; no paging) as dicts in EXPORT_COLUMNS order."""
    query = parse_input(LeadQuery, query)
    conds = _conditions(session, actor, query)
    if conds is None:
        return
    result = session.execute(_export_select(conds, query.sort).execution_options(yield_per=batch_size))
    for row in result:
        mapping = row._mapping
        yield {c: mapping[c] for c in EXPORT_COLUMNS}


def lead_counts_by_status(*, session: Session, actor: Actor) -> dict[str, int]:
    """How many visible leads are in each status (for list headers)."""
    conds = _conditions(session, actor, LeadQuery()) or []
    rows = session.execute(select(Lead.status, func.count()).where(*conds).group_by(Lead.status)).all()
    return {status: int(n) for status, n in rows}
