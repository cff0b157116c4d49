"""Lead score (0–100) = fit (0–40: who they are) + engagement (0–60: what they did).

The specification (DESIGN.md) asks that engagement weighs heavily: the engagement part is
``0.6 × engagement_score``, so 70 engagement points move the score by 42. The fit part adds up
to 10 points each for industry, company size, revenue and seniority of the title. Missing or
unreadable values add nothing, and every part is explained in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

FIT_MAX = 40.0
ENGAGEMENT_MAX = 60.0
ENGAGEMENT_WEIGHT = ENGAGEMENT_MAX / 100.0

INDUSTRY_POINTS: dict[str, float] = {
    "technology": 10,
    "software": 10,
    "saas": 10,
    "financial services": 9,
    "finance": 9,
    "banking": 9,
    "insurance": 8,
    "healthcare": 8,
    "telecommunications": 8,
    "manufacturing": 7,
    "energy": 7,
    "media": 6,
    "professional services": 6,
    "consulting": 6,
    "retail": 6,
    "logistics": 6,
    "transportation": 6,
    "real estate": 5,
    "hospitality": 4,
    "education": 4,
    "government": 4,
    "public sector": 4,
    "non-profit": 3,
    "nonprofit": 3,
    "agriculture": 3,
    "other": 2,
}
UNKNOWN_INDUSTRY_POINTS = 1.0

# (lower bound, points): the first band whose bound the value reaches.
EMPLOYEE_BANDS: tuple[tuple[int, float], ...] = ((1000, 10), (200, 9), (50, 6), (11, 3), (1, 1))
REVENUE_BANDS: tuple[tuple[float, float], ...] = (
    (100_000_000, 10),
    (10_000_000, 9),
    (1_000_000, 6),
    (250_000, 3),
    (1, 1),
)

# Title keywords, most senior first; matched as whole words in the lower-cased title.
SENIORITY: tuple[tuple[tuple[str, ...], float, str], ...] = (
    (("ceo", "cto", "cfo", "coo", "cio", "cmo", "chief", "founder", "owner", "president"), 10, "C-level"),
    (("vp", "vice", "svp", "evp", "head"), 10, "VP or head of function"),
    (("director",), 8, "director"),
    (("manager", "lead", "principal"), 5, "manager"),
    (
        ("engineer", "analyst", "specialist", "consultant", "architect", "developer", "senior"),
        3,
        "individual contributor",
    ),
    (("student", "intern", "trainee", "assistant"), 0, "student or junior"),
)
DEFAULT_TITLE_POINTS = 2.0


@dataclass(frozen=True)
class ScoreExplanation:
    """A lead's score broken into its parts, with the reasons in plain words."""

    fit: float
    engagement: float
    total: float
    reasons: list[str] = field(default_factory=list)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "").replace("_", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    if number != number or number < 0:  # NaN or negative: unreadable
        return None
    return number


def _band(value: float, bands: tuple[tuple[Any, float], ...]) -> float:
    for bound, points in bands:
        if value >= bound:
            return float(points)
    return 0.0


def _industry(lead: Mapping[str, Any]) -> tuple[float, str]:
    raw = lead.get("industry")
    name = str(raw).strip().lower() if raw is not None else ""
    if not name or name == "unknown":
        return UNKNOWN_INDUSTRY_POINTS, "industry unknown"
    points = INDUSTRY_POINTS.get(name)
    if points is None:
        return 2.0, f"industry {raw} is outside our core markets"
    return float(points), f"industry {raw}" + (" is a core market" if points >= 9 else "")


def _title(lead: Mapping[str, Any]) -> tuple[float, str]:
    raw = lead.get("title")
    text = str(raw).strip().lower() if raw is not None else ""
    if not text:
        return 0.0, "no title given"
    words = set(text.replace(",", " ").replace("/", " ").replace("-", " ").replace(".", " ").split())
    for keywords, points, label in SENIORITY:
        if words.intersection(keywords):
            return float(points), f"title {raw} ({label})"
    return DEFAULT_TITLE_POINTS, f"title {raw}"


def explain_score(lead: Mapping[str, Any]) -> ScoreExplanation:
    """The score of ``lead`` with its fit and engagement parts and the reasons for each."""
    reasons: list[str] = []
    industry_points, industry_reason = _industry(lead)
    reasons.append(f"{industry_reason}: +{industry_points:g} fit")

    employees = _number(lead.get("employee_count"))
    if employees is None:
        size_points = 0.0
        reasons.append("company size unknown: +0 fit")
    else:
        size_points = _band(employees, EMPLOYEE_BANDS)
        reasons.append(f"{int(employees):,} employees: +{size_points:g} fit")

    revenue = _number(lead.get("annual_revenue"))
    if revenue is None:
        revenue_points = 0.0
        reasons.append("revenue unknown: +0 fit")
    else:
        revenue_points = _band(revenue, REVENUE_BANDS)
        reasons.append(f"annual revenue {_money(revenue)}: +{revenue_points:g} fit")

    title_points, title_reason = _title(lead)
    reasons.append(f"{title_reason}: +{title_points:g} fit")

    fit = min(FIT_MAX, industry_points + size_points + revenue_points + title_points)

    engagement_value = _number(lead.get("engagement_score"))
    if engagement_value is None:
        engagement = 0.0
        reasons.append("no engagement recorded: +0 engagement")
    else:
        engagement_value = min(100.0, engagement_value)
        engagement = engagement_value * ENGAGEMENT_WEIGHT
        level = "high" if engagement_value >= 70 else "moderate" if engagement_value >= 40 else "low"
        reasons.append(f"{level} engagement ({engagement_value:g}/100): +{engagement:.1f} engagement")

    total = round(max(0.0, min(100.0, fit + engagement)), 2)
    return ScoreExplanation(fit=round(fit, 2), engagement=round(engagement, 2), total=total, reasons=reasons)


def calculate_score(lead: Mapping[str, Any]) -> float:
    """The lead score in 0–100 from any of industry, employee_count, annual_revenue, title, engagement_score."""
    return explain_score(lead).total


def _money(value: float) -> str:
    if value >= 1_000_000:
        return f"${value / 1_000_000:,.1f}M"
    if value >= 1_000:
        return f"${value / 1_000:,.0f}k"
    return f"${value:,.0f}"
