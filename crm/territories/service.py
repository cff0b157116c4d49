"""Territory use cases: create a territory, preview and apply a change of its rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Table, bindparam, cast, func, insert, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.actors import Actor
from crm.errors import NotFound, StaleRecord, ValidationFailed
from crm.permissions import ensure_admin
from crm.territories.router import TerritoryRouter
from crm.territories.rules import validate_rules
from models import AuditLog, Lead, Territory
from models.domain import OPEN_LEAD_STATUSES


@dataclass(frozen=True)
class RuleMove:
    """A group of leads that a rule change moves from one territory to another."""

    from_territory_id: uuid.UUID | None
    from_territory: str
    to_territory_id: uuid.UUID | None
    to_territory: str
    count: int


@dataclass(frozen=True)
class RulePreview:
    """What a rule change would do (or did): leads checked, leads moving and where."""

    territory_id: uuid.UUID
    territory_name: str
    leads_checked: int
    leads_moving: int
    moves: list[RuleMove] = field(default_factory=list)


def _get_territory(session: Session, territory_id: uuid.UUID, *, lock: bool = False) -> Territory:
    stmt = select(Territory).where(Territory.id == territory_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    territory = session.scalar(stmt)
    if territory is None:
        raise NotFound(f"No territory with id {territory_id}", field="territory_id")
    return territory


def _band_bucket(column: Any, lows: set[float], highs: set[float]) -> Any:
    """A number that is equal for two values exactly when every rule bound treats them alike (NULL stays NULL)."""
    terms = [cast(column >= low, Integer) for low in sorted(lows)] + [
        cast(column > high, Integer) for high in sorted(highs)
    ]
    if not terms:
        return cast(column.is_(None), Integer) * -1  # one class for values, one for NULL
    total: Any = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _moves(
    session: Session,
    router: TerritoryRouter,
    territory_id: uuid.UUID,
    rules: list[dict[str, Any]],
    priority: int,
    *,
    with_ids: bool = False,
) -> tuple[int, list[tuple[uuid.UUID | None, uuid.UUID | None, int, list[uuid.UUID]]], TerritoryRouter]:
    """(open leads checked, [(from, to, count, lead ids)], the changed router) for leads the change moves.

    Open leads are grouped in SQL by country, industry, current territory and the employee and
    revenue bands the rules distinguish, so each group is routed once (fast at a million leads).
    """
    changed = router.with_rules(territory_id, rules, priority)
    changed.fetch_loads(list(changed.reps))
    emp_lows: set[float] = set()
    emp_highs: set[float] = set()
    rev_lows: set[float] = set()
    rev_highs: set[float] = set()
    for territory in changed.territories:
        for rule in territory.rules:
            for value, bucket in (
                (rule.employee_min, emp_lows),
                (rule.employee_max, emp_highs),
                (rule.revenue_min, rev_lows),
                (rule.revenue_max, rev_highs),
            ):
                if value is not None:
                    bucket.add(value)
    industry = func.lower(func.btrim(Lead.industry))
    emp_band = _band_bucket(Lead.employee_count, emp_lows, emp_highs).label("emp_band")
    rev_band = _band_bucket(Lead.annual_revenue, rev_lows, rev_highs).label("rev_band")
    columns = [
        Lead.country,
        industry.label("industry"),
        emp_band,
        rev_band,
        Lead.territory_id,
        func.min(Lead.employee_count).label("employee_count"),
        func.min(Lead.annual_revenue).label("annual_revenue"),
        func.count().label("n"),
    ]
    if with_ids:
        columns.append(func.array_agg(Lead.id).label("ids"))
    stmt = (
        select(*columns)
        .where(Lead.status.in_(OPEN_LEAD_STATUSES))
        .group_by(Lead.country, industry, emp_band, rev_band, Lead.territory_id)
    )
    checked = 0
    moves: dict[tuple[Any, Any], tuple[int, list[uuid.UUID]]] = {}
    for row in session.execute(stmt):
        checked += row.n
        fields = {
            "country": row.country,
            "industry": row.industry,
            "employee_count": row.employee_count,
            "annual_revenue": row.annual_revenue,
        }
        new_territory, _, _ = changed.match(fields)
        new_id = new_territory.id if new_territory else None
        if new_id != row.territory_id and territory_id in (new_id, row.territory_id):
            count, ids = moves.get((row.territory_id, new_id), (0, []))
            moves[(row.territory_id, new_id)] = (count + row.n, ids + list(row.ids if with_ids else []))
    return checked, [(src, dst, n, ids) for (src, dst), (n, ids) in moves.items()], changed


def _summarise(
    territory: Territory, router: TerritoryRouter, checked: int, moves: list[tuple[Any, Any, int, Any]]
) -> RulePreview:
    summary = [
        RuleMove(src, router.territory_name(src), dst, router.territory_name(dst), n)
        for src, dst, n, _ in sorted(moves, key=lambda m: (-m[2], router.territory_name(m[0])))
    ]
    return RulePreview(territory.id, territory.name, checked, sum(m[2] for m in moves), summary)


def preview_rule_change(
    *, session: Session, territory_id: uuid.UUID, rules: list[dict[str, Any]], priority: int, actor: Actor
) -> RulePreview:
    """Dry run (admins only): how many open leads would move into or out of the territory, from where to where."""
    ensure_admin(actor)
    rules = validate_rules(rules)
    territory = _get_territory(session, territory_id)
    router = TerritoryRouter.load(session)
    checked, moves, changed = _moves(session, router, territory_id, rules, priority)
    return _summarise(territory, changed, checked, moves)


def apply_rule_change(
    *,
    session: Session,
    territory_id: uuid.UUID,
    rules: list[dict[str, Any]],
    priority: int,
    expected_version: int,
    actor: Actor,
) -> RulePreview:
    """Save new rules and priority and move the affected open leads (new owner: least-loaded rep)."""
    ensure_admin(actor)
    rules = validate_rules(rules)
    territory = _get_territory(session, territory_id, lock=True)
    if territory.version != expected_version:
        raise StaleRecord(
            f"Territory {territory.name} was changed at {territory.updated_at:%Y-%m-%d %H:%M} UTC — reload"
        )
    before = {"rules": territory.rules, "priority": territory.priority}
    router = TerritoryRouter.load(session)
    checked, moves, changed = _moves(session, router, territory_id, rules, priority, with_ids=True)
    territory.rules = rules
    territory.priority = priority
    session.flush()
    updates: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for src, dst, _, ids in moves:
        for lead_id in sorted(ids):
            if dst is None:
                reason = f"No territory rule matches this lead any more (rules of {territory.name} changed)."
                updates.append({"b_id": lead_id, "territory_id": None, "territory_reason": reason, "keep_owner": True})
            else:
                rep, load = changed.least_loaded_rep(dst)
                reason = f"Territory {changed.by_id[dst].name} after a rule change"
                if rep is not None:
                    changed.loads[rep.id] = load + 1
                    reason += f"; owner {rep.name} has the fewest open leads in the territory ({load})."
                updates.append(
                    {
                        "b_id": lead_id,
                        "territory_id": dst,
                        "territory_reason": reason,
                        "owner_id": rep.id if rep else None,
                        "keep_owner": rep is None,
                    }
                )
            audits.append(
                {
                    "entity_id": lead_id,
                    "changes": {"territory_id": [audit.to_json_value(src), audit.to_json_value(dst)]},
                }
            )
    _bulk_move(session, updates)
    if audits:
        session.execute(
            insert(AuditLog),
            [
                {"id": uuid.uuid4(), "actor_id": actor.id, "entity_type": "lead", "action": "territory_reassigned", **a}
                for a in audits
            ],
        )
    audit.record(
        session,
        actor=actor,
        entity_type="territory",
        entity_id=territory.id,
        action="rules_changed",
        changes={"before": before, "after": {"rules": rules, "priority": priority}, "leads_moved": len(updates)},
    )
    session.refresh(territory)
    return _summarise(territory, changed, checked, moves)


def _core_table(table: Any) -> Table:
    """The ORM class's Core table, typed as one (``__table__`` is typed as a FromClause)."""
    assert isinstance(table, Table)
    return table


def _bulk_move(session: Session, updates: list[dict[str, Any]]) -> None:
    keep = [u for u in updates if u["keep_owner"]]
    move = [u for u in updates if not u["keep_owner"]]
    table = _core_table(Lead.__table__)
    conn = session.connection()
    if keep:
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(territory_id=bindparam("territory_id"), territory_reason=bindparam("territory_reason")),
            [{k: u[k] for k in ("b_id", "territory_id", "territory_reason")} for u in keep],
        )
    if move:
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                territory_id=bindparam("territory_id"),
                territory_reason=bindparam("territory_reason"),
                owner_id=bindparam("owner_id"),
            ),
            [{k: u[k] for k in ("b_id", "territory_id", "territory_reason", "owner_id")} for u in move],
        )


def create_territory(
    *,
    session: Session,
    name: str,
    rules: list[dict[str, Any]] | None = None,
    priority: int = 100,
    region: str | None = None,
    actor: Actor,
) -> Territory:
    """Create a territory (admin only); its rules apply to leads assigned from now on."""
    ensure_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed([("name", "is required")])
    if session.scalar(select(Territory.id).where(func.lower(Territory.name) == name.lower())) is not None:
        raise ValidationFailed([("name", f"a territory named {name} already exists")])
    territory = Territory(id=uuid.uuid4(), name=name, region=region, rules=validate_rules(rules), priority=priority)
    session.add(territory)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type="territory",
        entity_id=territory.id,
        action="create",
        changes={"name": name, "rules": territory.rules, "priority": priority},
    )
    session.refresh(territory)
    return territory
