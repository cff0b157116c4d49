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

# The lead fields the score reads: every caller passes exactly these.
SCORE_INPUTS: tuple[str, ...] = ("industry", "employee_count", "annual_revenue", "title", "engagement_score")
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
OTHER_INDUSTRY_POINTS = 2.0  # a named industry outside the list

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


def _industry_points(raw: Any) -> float:
    name = str(raw).strip().lower() if raw is not None else ""
    if not name or name == "unknown":
        return UNKNOWN_INDUSTRY_POINTS
    return float(INDUSTRY_POINTS.get(name, OTHER_INDUSTRY_POINTS))


def _seniority(raw: Any) -> tuple[float, str | None]:
    text = str(raw).strip().lower() if raw is not None else ""
    if not text:
        return 0.0, None
    words = set(text.replace(",", " ").replace("/", " ").replace("-", " ").replace(".", " ").split())
    for keywords, points, label in SENIORITY:
        if not words.isdisjoint(keywords):
            return float(points), label
    return DEFAULT_TITLE_POINTS, ""


def _parts(lead: Mapping[str, Any]) -> tuple[float, float, float, float, float | None]:
    """Points for industry, size, revenue, title, and the engagement value (None when missing)."""
    employees = _number(lead.get("employee_count"))
    revenue = _number(lead.get("annual_revenue"))
    engagement = _number(lead.get("engagement_score"))
    return (
        _industry_points(lead.get("industry")),
        0.0 if employees is None else _band(employees, EMPLOYEE_BANDS),
        0.0 if revenue is None else _band(revenue, REVENUE_BANDS),
        _seniority(lead.get("title"))[0],
        None if engagement is None else min(100.0, engagement),
    )


def _total(industry: float, size: float, revenue: float, title: float, engagement: float | None) -> tuple[float, float]:
    fit = min(FIT_MAX, industry + size + revenue + title)
    return fit, (engagement or 0.0) * ENGAGEMENT_WEIGHT


def calculate_score(lead: Mapping[str, Any]) -> float:
    """The lead score in 0–100 from any of industry, employee_count, annual_revenue, title, engagement_score."""
    fit, engagement = _total(*_parts(lead))
    return round(max(0.0, min(100.0, fit + engagement)), 2)


def explain_score(lead: Mapping[str, Any]) -> ScoreExplanation:
    """The score of ``lead`` with its fit and engagement parts and the reasons for each, in plain words."""
    industry_points, size_points, revenue_points, title_points, engagement_value = parts = _parts(lead)
    fit, engagement = _total(*parts)
    reasons: list[str] = []

    industry = lead.get("industry")
    if industry is None or not str(industry).strip() or str(industry).strip().lower() == "unknown":
        reasons.append(f"industry unknown: +{industry_points:g} fit")
    elif str(industry).strip().lower() in INDUSTRY_POINTS:
        core = " (a core market)" if industry_points >= 9 else ""
        reasons.append(f"industry {industry}{core}: +{industry_points:g} fit")
    else:
        reasons.append(f"industry {industry} is outside our core markets: +{industry_points:g} fit")

    employees = _number(lead.get("employee_count"))
    if employees is None:
        reasons.append("company size unknown: +0 fit")
    else:
        reasons.append(f"{int(employees):,} employees: +{size_points:g} fit")

    revenue = _number(lead.get("annual_revenue"))
    if revenue is None:
        reasons.append("revenue unknown: +0 fit")
    else:
        reasons.append(f"annual revenue {_money(revenue)}: +{revenue_points:g} fit")

    title = lead.get("title")
    _, label = _seniority(title)
    if label is None:
        reasons.append("no title given: +0 fit")
    else:
        reasons.append(f"title {title}{f' ({label})' if label else ''}: +{title_points:g} fit")

    if engagement_value is None:
        reasons.append("no engagement recorded: +0 engagement")
    else:
        level = "high" if engagement_value >= 70 else "moderate" if engagement_value >= 40 else "low"
        reasons.append(f"{level} engagement ({engagement_value:g}/100): +{engagement:.1f} engagement")

    total = round(max(0.0, min(100.0, fit + engagement)), 2)
    return ScoreExplanation(fit=round(fit, 2), engagement=round(engagement, 2), total=total, reasons=reasons)


def _money(value: float) -> str:
    if value >= 1_000_000:
        return f"${value / 1_000_000:,.1f}M"
    if value >= 1_000:
        return f"${value / 1_000:,.0f}k"
    return f"${value:,.0f}"
