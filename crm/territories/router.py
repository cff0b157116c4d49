"""The territory router: which territory and rep receive a lead, and why (in memory, fast for many leads)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.territories.geo import COUNTRY_REGION, normalize_country
from crm.territories.rules import Rule, compile_rules
from models import Lead, Territory, User
from models.domain import OPEN_LEAD_STATUSES


@dataclass(frozen=True)
class Assignment:
    """Where a lead goes and why (``territory_id``/``owner_id`` are None when nothing matched)."""

    territory_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    reason: str
    territory_name: str | None = None
    owner_name: str | None = None


@dataclass
class RoutedTerritory:
    """An active territory with its compiled rules."""

    id: uuid.UUID
    name: str
    priority: int
    rules: list[Rule]


@dataclass
class Rep:
    """An active rep a territory can hand leads to."""

    id: uuid.UUID
    name: str
    email: str


class TerritoryRouter:
    """Territory rules and rep loads in memory: build once with :meth:`load`, then ``assign`` many leads."""

    def __init__(
        self,
        territories: list[RoutedTerritory],
        reps: dict[uuid.UUID, list[Rep]],
        *,
        session: Session | None = None,
        loads: dict[uuid.UUID, int] | None = None,
    ) -> None:
        self.territories = sorted(territories, key=lambda t: (-t.priority, t.name, str(t.id)))
        self.by_id = {t.id: t for t in territories}
        self.reps = reps
        self._session = session
        self.loads: dict[uuid.UUID, int] = dict(loads or {})
        self.loaded_territories: set[uuid.UUID] = set(reps) if loads is not None else set()

    @classmethod
    def load(cls, session: Session, *, prefetch_loads: bool = False) -> TerritoryRouter:
        """Read active territories, their active reps and (lazily, or now) the reps' open-lead counts."""
        rows = session.execute(
            select(Territory.id, Territory.name, Territory.priority, Territory.rules).where(Territory.is_active)
        ).all()
        territories = [RoutedTerritory(r.id, r.name, r.priority, compile_rules(r.rules)) for r in rows]
        reps: dict[uuid.UUID, list[Rep]] = defaultdict(list)
        for r in session.execute(
            select(User.id, User.name, User.email, User.territory_id).where(
                User.is_active, User.role == "rep", User.territory_id.is_not(None)
            )
        ):
            reps[r.territory_id].append(Rep(r.id, r.name, r.email))
        router = cls(territories, dict(reps), session=session)
        if prefetch_loads:
            router.fetch_loads(list(router.reps))
        return router

    def with_rules(self, territory_id: uuid.UUID, rules: list[dict[str, Any]], priority: int) -> TerritoryRouter:
        """A copy of this router in which one territory has other rules and priority."""
        territories = [
            replace(t, rules=compile_rules(rules), priority=priority) if t.id == territory_id else replace(t)
            for t in self.territories
        ]
        clone = TerritoryRouter(territories, self.reps, session=self._session)
        clone.loads = self.loads  # shared on purpose: one view of the reps' load
        clone.loaded_territories = self.loaded_territories
        return clone

    def fetch_loads(self, territory_ids: Iterable[uuid.UUID]) -> None:
        """Count the open leads of the reps of these territories (once per territory)."""
        missing = [t for t in territory_ids if t not in self.loaded_territories]
        if not missing:
            return
        rep_ids = [rep.id for t in missing for rep in self.reps.get(t, [])]
        self.loaded_territories.update(missing)
        if not rep_ids or self._session is None:
            return
        counts = self._session.execute(
            select(Lead.owner_id, func.count())
            .where(Lead.owner_id.in_(rep_ids), Lead.status.in_(OPEN_LEAD_STATUSES))
            .group_by(Lead.owner_id)
        ).all()
        for owner_id, count in counts:
            if owner_id is not None:
                self.loads[owner_id] = int(count)

    def least_loaded_rep(self, territory_id: uuid.UUID) -> tuple[Rep | None, int]:
        """The territory's active rep with the fewest open leads (ties by email), with that count."""
        self.fetch_loads([territory_id])
        reps = self.reps.get(territory_id, [])
        if not reps:
            return None, 0
        rep = min(reps, key=lambda r: (self.loads.get(r.id, 0), r.email.lower(), str(r.id)))
        return rep, self.loads.get(rep.id, 0)

    def match(self, fields: Mapping[str, Any]) -> tuple[RoutedTerritory | None, Rule | None, str]:
        """The winning territory and rule for ``fields`` and how the tie (if any) was broken."""
        country = normalize_country(fields.get("country"))
        region = fields.get("region") or (COUNTRY_REGION.get(country) if country else None)
        industry_raw = fields.get("industry")
        industry = str(industry_raw).strip().lower() if industry_raw else None
        emp = _as_float(fields.get("employee_count"))
        rev = _as_float(fields.get("annual_revenue"))
        best: list[tuple[RoutedTerritory, Rule]] = []
        best_key: tuple[int, int] | None = None
        for territory in self.territories:
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
                self.least_loaded_rep(tr[0].id)[0] is None,
                self.least_loaded_rep(tr[0].id)[1],
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
        rep, load = self.least_loaded_rep(territory.id)
        reason = f"Territory {territory.name} (priority {territory.priority}) by rule: {rule.describe()}"
        if tie:
            reason += f"; {tie}"
        if rep is None:
            return Assignment(territory.id, None, reason + "; no active rep in this territory.", territory.name, None)
        self.loads[rep.id] = load + 1
        reason += f"; owner {rep.name} has the fewest open leads in the territory ({load})."
        return Assignment(territory.id, rep.id, reason, territory.name, rep.name)

    def territory_name(self, territory_id: uuid.UUID | None) -> str:
        """The name of a loaded territory ("Unassigned" for None)."""
        if territory_id is None:
            return "Unassigned"
        t = self.by_id.get(territory_id)
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
