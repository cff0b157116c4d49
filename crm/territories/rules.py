"""Territory rules: validating and compiling the JSON rules a territory routes by."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm.errors import ValidationFailed
from crm.territories.geo import normalize_country

RULE_KEYS: frozenset[str] = frozenset(
    {"name", "countries", "regions", "industries", "employee_min", "employee_max", "revenue_min", "revenue_max"}
)


@dataclass(frozen=True)
class Rule:
    """A compiled territory rule: the conditions a lead must all meet (None: any value)."""

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


def _compile_rule(rule: Mapping[str, Any], where: str, errors: list[tuple[str, str]]) -> Rule:
    return Rule(
        countries=_text_set(rule.get("countries"), f"{where}.countries", errors, normalize_country),
        regions=_text_set(rule.get("regions"), f"{where}.regions", errors, lambda v: str(v).strip().lower()),
        industries=_text_set(rule.get("industries"), f"{where}.industries", errors, lambda v: str(v).strip().lower()),
        employee_min=_number(rule.get("employee_min"), f"{where}.employee_min", errors),
        employee_max=_number(rule.get("employee_max"), f"{where}.employee_max", errors),
        revenue_min=_number(rule.get("revenue_min"), f"{where}.revenue_min", errors),
        revenue_max=_number(rule.get("revenue_max"), f"{where}.revenue_max", errors),
    )


def compile_rules(rules: Any) -> list[Rule]:
    errors: list[tuple[str, str]] = []
    if not isinstance(rules, list):
        return []
    return [_compile_rule(r, "rules", errors) for r in rules if isinstance(r, Mapping)]
