"""Territory assignment: which territory and rep receive a lead, and why.

A territory's ``rules`` is a JSON list of rule objects; a lead matches the territory when it
matches any one rule, and a rule matches when every condition it states holds:

``{"countries": ["US", "CA"], "regions": ["EMEA"], "industries": ["technology"],
"employee_min": 100, "employee_max": null, "revenue_min": 1000000, "revenue_max": null}``

Bounds are inclusive, ``null``/absent means unbounded, and a lead without the value never meets
a bound. Conflicts go to the highest ``priority``, then the most specific rule (most
conditions), then the territory whose least-loaded rep has the fewest open leads, then the
territory name. Within the territory the least-loaded active rep gets the lead (ties by email).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Table, bindparam, cast, func, insert, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.actors import Actor
from crm.errors import NotFound, StaleRecord, ValidationFailed
from crm.permissions import ensure_admin
from models import AuditLog, Lead, Territory, User

OPEN_LEAD_STATUSES: tuple[str, ...] = ("new", "contacted", "qualified")
RULE_KEYS: frozenset[str] = frozenset(
    {"name", "countries", "regions", "industries", "employee_min", "employee_max", "revenue_min", "revenue_max"}
)

COUNTRY_ALIASES: dict[str, str] = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "u.s.": "US",
    "canada": "CA",
    "mexico": "MX",
    "brazil": "BR",
    "argentina": "AR",
    "chile": "CL",
    "colombia": "CO",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "ireland": "IE",
    "germany": "DE",
    "france": "FR",
    "spain": "ES",
    "italy": "IT",
    "netherlands": "NL",
    "belgium": "BE",
    "switzerland": "CH",
    "austria": "AT",
    "sweden": "SE",
    "norway": "NO",
    "denmark": "DK",
    "finland": "FI",
    "poland": "PL",
    "portugal": "PT",
    "south africa": "ZA",
    "nigeria": "NG",
    "kenya": "KE",
    "egypt": "EG",
    "united arab emirates": "AE",
    "uae": "AE",
    "saudi arabia": "SA",
    "israel": "IL",
    "india": "IN",
    "china": "CN",
    "japan": "JP",
    "south korea": "KR",
    "korea": "KR",
    "singapore": "SG",
    "australia": "AU",
    "new zealand": "NZ",
    "indonesia": "ID",
    "philippines": "PH",
    "vietnam": "VN",
    "thailand": "TH",
    "malaysia": "MY",
}
_REGION_COUNTRIES: dict[str, tuple[str, ...]] = {
    "North America": ("US", "CA"),
    "LATAM": ("MX", "BR", "AR", "CL", "CO", "PE"),
    "EMEA": (
        "GB",
        "IE",
        "DE",
        "FR",
        "ES",
        "IT",
        "NL",
        "BE",
        "CH",
        "AT",
        "SE",
        "NO",
        "DK",
        "FI",
        "PL",
        "PT",
        "ZA",
        "NG",
        "KE",
        "EG",
        "AE",
        "SA",
        "IL",
    ),
    "APAC": ("IN", "CN", "JP", "KR", "SG", "AU", "NZ", "ID", "PH", "VN", "TH", "MY", "HK", "TW"),
}
COUNTRY_REGION: dict[str, str] = {c: region for region, cs in _REGION_COUNTRIES.items() for c in cs}


def normalize_country(value: Any) -> str | None:
    """ISO-3166 alpha-2 code for a country code or common English name (else the upper-cased text)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return COUNTRY_ALIASES.get(text.lower(), text.upper())


def region_of(fields: Mapping[str, Any]) -> str | None:
    """The lead's region: its own ``region`` field, else derived from its country."""
    region = fields.get("region")
    if region:
        return str(region).strip()
    country = normalize_country(fields.get("country"))
    return COUNTRY_REGION.get(country) if country else None


@dataclass(frozen=True)
class Assignment:
    """Where a lead goes and why (``territory_id``/``owner_id`` are None when nothing matched)."""

    territory_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    reason: str
    territory_name: str | None = None
    owner_name: str | None = None


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


@dataclass(frozen=True)
class _Rule:
    countries: frozenset[str] | None
    regions: frozenset[str] | None
    industries: frozenset[str] | None
    employee_min: float | None
    employee_max: float | None
    revenue_min: float | None
    revenue_max: float | None

    @property
    def specificity(self) -> int:
        return sum(
            x is not None
            for x in (
                self.countries,
                self.regions,
                self.industries,
                self.employee_min,
                self.employee_max,
                self.revenue_min,
                self.revenue_max,
            )
        )

    def matches(self, country: str | None, region: str | None, industry: str | None, emp: Any, rev: Any) -> bool:
        if self.countries is not None and country not in self.countries:
            return False
        if self.regions is not None and (region is None or region.lower() not in self.regions):
            return False
        if self.industries is not None and industry not in self.industries:
            return False
        if self.employee_min is not None or self.employee_max is not None:
            if emp is None:
                return False
            if self.employee_min is not None and emp < self.employee_min:
                return False
            if self.employee_max is not None and emp > self.employee_max:
                return False
        if self.revenue_min is not None or self.revenue_max is not None:
            if rev is None:
                return False
            if self.revenue_min is not None and rev < self.revenue_min:
                return False
            if self.revenue_max is not None and rev > self.revenue_max:
                return False
        return True

    def describe(self) -> str:
        parts: list[str] = []
        if self.countries is not None:
            parts.append("country " + "/".join(sorted(self.countries)))
        if self.regions is not None:
            parts.append("region " + "/".join(sorted(self.regions)))
        if self.industries is not None:
            parts.append("industry " + "/".join(sorted(self.industries)))
        if self.employee_min is not None or self.employee_max is not None:
            parts.append(f"employees {_bounds(self.employee_min, self.employee_max)}")
        if self.revenue_min is not None or self.revenue_max is not None:
            parts.append(f"revenue {_bounds(self.revenue_min, self.revenue_max)}")
        return ", ".join(parts) or "catch-all rule"


def _bounds(low: float | None, high: float | None) -> str:
    if high is None:
        return f"≥ {low:,.0f}"
    if low is None:
        return f"≤ {high:,.0f}"
    return f"{low:,.0f}–{high:,.0f}"


@dataclass
class _Territory:
    id: uuid.UUID
    name: str
    priority: int
    rules: list[_Rule]


def _number(value: Any, field_name: str, errors: list[tuple[str, str]]) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors.append((field_name, "must be a number"))
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.append((field_name, "must be a number"))
        return None
    if number < 0:
        errors.append((field_name, "must not be negative"))
    return number


def _text_set(value: Any, field_name: str, errors: list[tuple[str, str]], norm: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    if not isinstance(value, list | tuple | set | frozenset):
        errors.append((field_name, "must be a list of values"))
        return None
    items = frozenset(n for n in (norm(v) for v in value) if n)
    return items or None


def validate_rules(rules: Any) -> list[dict[str, Any]]:
    """Check and normalise a rules list; raise ValidationFailed naming the rule and key."""
    if rules is None:
        return []
    if not isinstance(rules, list):
        raise ValidationFailed([("rules", "must be a list of rule objects")])
    errors: list[tuple[str, str]] = []
    cleaned: list[dict[str, Any]] = []
    for i, rule in enumerate(rules, start=1):
        where = f"rules[{i}]"
        if not isinstance(rule, Mapping):
            errors.append((where, "must be an object"))
            continue
        unknown = set(rule) - RULE_KEYS
        if unknown:
            errors.append(
                (where, f"unknown keys {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(RULE_KEYS))})")
            )
        compiled = _compile_rule(rule, where, errors)
        for low, high in (("employee_min", "employee_max"), ("revenue_min", "revenue_max")):
            lo, hi = getattr(compiled, low), getattr(compiled, high)
            if lo is not None and hi is not None and lo > hi:
                errors.append((f"{where}.{low}", f"must not exceed {high}"))
        out: dict[str, Any] = {}
        if rule.get("name"):
            out["name"] = str(rule["name"])
        for key in ("countries", "regions", "industries"):
            if rule.get(key) is not None and not isinstance(rule.get(key), list | tuple | str):
                continue
            if rule.get(key) is not None:
                raw = rule[key].split(",") if isinstance(rule[key], str) else rule[key]
                out[key] = [str(v).strip() for v in raw if str(v).strip()]
        for key in ("employee_min", "employee_max", "revenue_min", "revenue_max"):
            value = getattr(compiled, key)
            out[key] = None if value is None else (int(value) if float(value).is_integer() else value)
        cleaned.append(out)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _compile_rule(rule: Mapping[str, Any], where: str, errors: list[tuple[str, str]]) -> _Rule:
    return _Rule(
        countries=_text_set(rule.get("countries"), f"{where}.countries", errors, normalize_country),
        regions=_text_set(rule.get("regions"), f"{where}.regions", errors, lambda v: str(v).strip().lower()),
        industries=_text_set(rule.get("industries"), f"{where}.industries", errors, lambda v: str(v).strip().lower()),
        employee_min=_number(rule.get("employee_min"), f"{where}.employee_min", errors),
        employee_max=_number(rule.get("employee_max"), f"{where}.employee_max", errors),
        revenue_min=_number(rule.get("revenue_min"), f"{where}.revenue_min", errors),
        revenue_max=_number(rule.get("revenue_max"), f"{where}.revenue_max", errors),
    )


def _compile_rules(rules: Any) -> list[_Rule]:
    errors: list[tuple[str, str]] = []
    if not isinstance(rules, list):
        return []
    return [_compile_rule(r, "rules", errors) for r in rules if isinstance(r, Mapping)]


@dataclass
class _Rep:
    id: uuid.UUID
    name: str
    email: str


class TerritoryRouter:
    """Territory rules and rep loads in memory: build once with :meth:`load`, then ``assign`` many leads."""

    def __init__(
        self,
        territories: list[_Territory],
        reps: dict[uuid.UUID, list[_Rep]],
        *,
        session: Session | None = None,
        loads: dict[uuid.UUID, int] | None = None,
    ) -> None:
        self._territories = sorted(territories, key=lambda t: (-t.priority, t.name, str(t.id)))
        self._by_id = {t.id: t for t in territories}
        self._reps = reps
        self._session = session
        self._loads: dict[uuid.UUID, int] = dict(loads or {})
        self._loaded_territories: set[uuid.UUID] = set(reps) if loads is not None else set()

    @classmethod
    def load(cls, session: Session, *, prefetch_loads: bool = False) -> TerritoryRouter:
        """Read active territories, their active reps and (lazily, or now) the reps' open-lead counts."""
        rows = session.execute(
            select(Territory.id, Territory.name, Territory.priority, Territory.rules).where(Territory.is_active)
        ).all()
        territories = [_Territory(r.id, r.name, r.priority, _compile_rules(r.rules)) for r in rows]
        reps: dict[uuid.UUID, list[_Rep]] = defaultdict(list)
        for r in session.execute(
            select(User.id, User.name, User.email, User.territory_id).where(
                User.is_active, User.role == "rep", User.territory_id.is_not(None)
            )
        ):
            reps[r.territory_id].append(_Rep(r.id, r.name, r.email))
        router = cls(territories, dict(reps), session=session)
        if prefetch_loads:
            router._fetch_loads(list(router._reps))
        return router

    def with_rules(self, territory_id: uuid.UUID, rules: list[dict[str, Any]], priority: int) -> TerritoryRouter:
        """A copy of this router in which one territory has other rules and priority."""
        territories = [
            replace(t, rules=_compile_rules(rules), priority=priority) if t.id == territory_id else replace(t)
            for t in self._territories
        ]
        clone = TerritoryRouter(territories, self._reps, session=self._session)
        clone._loads = self._loads  # shared on purpose: one view of the reps' load
        clone._loaded_territories = self._loaded_territories
        return clone

    def _fetch_loads(self, territory_ids: Iterable[uuid.UUID]) -> None:
        missing = [t for t in territory_ids if t not in self._loaded_territories]
        if not missing:
            return
        rep_ids = [rep.id for t in missing for rep in self._reps.get(t, [])]
        self._loaded_territories.update(missing)
        if not rep_ids or self._session is None:
            return
        counts = self._session.execute(
            select(Lead.owner_id, func.count())
            .where(Lead.owner_id.in_(rep_ids), Lead.status.in_(OPEN_LEAD_STATUSES))
            .group_by(Lead.owner_id)
        ).all()
        for owner_id, count in counts:
            if owner_id is not None:
                self._loads[owner_id] = int(count)

    def _least_loaded_rep(self, territory_id: uuid.UUID) -> tuple[_Rep | None, int]:
        self._fetch_loads([territory_id])
        reps = self._reps.get(territory_id, [])
        if not reps:
            return None, 0
        rep = min(reps, key=lambda r: (self._loads.get(r.id, 0), r.email.lower(), str(r.id)))
        return rep, self._loads.get(rep.id, 0)

    def match(self, fields: Mapping[str, Any]) -> tuple[_Territory | None, _Rule | None, str]:
        """The winning territory and rule for ``fields`` and how the tie (if any) was broken."""
        country = normalize_country(fields.get("country"))
        region = fields.get("region") or (COUNTRY_REGION.get(country) if country else None)
        industry_raw = fields.get("industry")
        industry = str(industry_raw).strip().lower() if industry_raw else None
        emp = _as_float(fields.get("employee_count"))
        rev = _as_float(fields.get("annual_revenue"))
        best: list[tuple[_Territory, _Rule]] = []
        best_key: tuple[int, int] | None = None
        for territory in self._territories:
            if best_key is not None and territory.priority < best_key[0]:
                break  # sorted by priority: nothing later can win
            rule = None
            for candidate in territory.rules:
                if candidate.matches(country, region, industry, emp, rev) and (
                    rule is None or candidate.specificity > rule.specificity
                ):
                    rule = candidate
            if rule is None:
                continue
            key = (territory.priority, rule.specificity)
            if best_key is None or key > best_key:
                best, best_key = [(territory, rule)], key
            elif key == best_key:
                best.append((territory, rule))
        if not best:
            return None, None, "no territory rule matches this lead"
        if len(best) == 1:
            return best[0][0], best[0][1], ""
        ranked = sorted(
            best,
            key=lambda tr: (
                self._least_loaded_rep(tr[0].id)[0] is None,
                self._least_loaded_rep(tr[0].id)[1],
                tr[0].name,
                str(tr[0].id),
            ),
        )
        others = ", ".join(t.name for t, _ in ranked[1:])
        return (
            ranked[0][0],
            ranked[0][1],
            f"tied with {others} on priority and specificity; its rep has the lightest load",
        )

    def assign(self, fields: Mapping[str, Any]) -> Assignment:
        """Territory and owner for a lead with these fields (counts it towards the rep's load)."""
        territory, rule, tie = self.match(fields)
        if territory is None or rule is None:
            return Assignment(None, None, "No territory rule matches this lead; left unassigned.")
        rep, load = self._least_loaded_rep(territory.id)
        reason = f"Territory {territory.name} (priority {territory.priority}) by rule: {rule.describe()}"
        if tie:
            reason += f"; {tie}"
        if rep is None:
            return Assignment(territory.id, None, reason + "; no active rep in this territory.", territory.name, None)
        self._loads[rep.id] = load + 1
        reason += f"; owner {rep.name} has the fewest open leads in the territory ({load})."
        return Assignment(territory.id, rep.id, reason, territory.name, rep.name)

    def territory_name(self, territory_id: uuid.UUID | None) -> str:
        """The name of a loaded territory ("Unassigned" for None)."""
        if territory_id is None:
            return "Unassigned"
        t = self._by_id.get(territory_id)
        return t.name if t else f"inactive territory {territory_id}"


def _as_float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


def assign_territory(*, session: Session, fields: Mapping[str, Any]) -> Assignment:
    """Territory and owner for one lead (reads the rules and the loads of the matching reps)."""
    return TerritoryRouter.load(session).assign(fields)


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
    changed._fetch_loads(list(changed._reps))
    emp_lows: set[float] = set()
    emp_highs: set[float] = set()
    rev_lows: set[float] = set()
    rev_highs: set[float] = set()
    for territory in changed._territories:
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
    *, session: Session, territory_id: uuid.UUID, rules: list[dict[str, Any]], priority: int
) -> RulePreview:
    """Dry run: how many open leads would move into or out of the territory, from where to where."""
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
                rep, load = changed._least_loaded_rep(dst)
                reason = f"Territory {changed._by_id[dst].name} after a rule change"
                if rep is not None:
                    changed._loads[rep.id] = load + 1
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
