"""The demo org's fixed catalogue: territories, industries, sources, titles, names, stage timings."""

from __future__ import annotations

import numpy as np

from models import domain
from models.domain import LEAD_PROFILE_FIELDS, LEAD_ROUTING_FIELDS, LOST_REASONS, STAGES

DAY = 86_400.0
HISTORY_YEARS = 3
DEMO_PASSWORD = "demo1234"  # noqa: S105 - the documented password of the demo users
JOHN_DOE_EMAIL = "john.doe@example.com"

# Territories: (name, region, rules, priority). The highest priority whose rule matches wins.
COUNTRIES_NA = ("US", "CA")
COUNTRIES_EMEA = ("GB", "DE", "FR", "NL", "SE", "ES", "IT", "IE")
COUNTRIES_APAC = ("AU", "JP", "SG", "IN", "NZ")
COUNTRIES_LATAM = ("BR", "MX", "AR", "CL", "CO")
STRATEGIC_EMPLOYEE_MIN = 5000
PUBLIC_SECTOR_INDUSTRIES = ("Government", "Education")
TERRITORIES: tuple[tuple[str, str, list[dict[str, object]], int], ...] = (
    ("North America", "North America", [{"countries": list(COUNTRIES_NA)}], 100),
    ("EMEA", "Europe, Middle East & Africa", [{"countries": list(COUNTRIES_EMEA)}], 100),
    ("APAC", "Asia Pacific", [{"countries": list(COUNTRIES_APAC)}], 100),
    ("LATAM", "Latin America", [{"countries": list(COUNTRIES_LATAM)}], 100),
    (
        "Public Sector",
        "North America",
        [{"countries": list(COUNTRIES_NA), "industries": list(PUBLIC_SECTOR_INDUSTRIES)}],
        150,
    ),
    ("Strategic Accounts", "Global", [{"employee_min": STRATEGIC_EMPLOYEE_MIN}], 200),
)
T_NA, T_EMEA, T_APAC, T_LATAM, T_PUBLIC, T_STRATEGIC = range(6)

COUNTRIES = (*COUNTRIES_NA, *COUNTRIES_EMEA, *COUNTRIES_APAC, *COUNTRIES_LATAM)
COUNTRY_WEIGHTS = (45, 5, 8, 6, 4, 2, 1.5, 2, 2, 1.5, 4, 3, 2, 4, 0.8, 4, 3, 1, 1, 1)
COUNTRY_REGION = np.array([T_NA] * 2 + [T_EMEA] * 8 + [T_APAC] * 5 + [T_LATAM] * 5)

# Industry: (name, weight, lead-conversion effect, win effect, deal-size factor, revenue per employee)
INDUSTRIES: tuple[tuple[str, float, float, float, float, float], ...] = (
    ("Technology", 22, 0.30, 0.15, 1.15, 260_000),
    ("Financial Services", 11, 0.10, -0.05, 1.40, 420_000),
    ("Healthcare", 10, 0.00, -0.10, 1.20, 180_000),
    ("Manufacturing", 10, -0.10, 0.05, 1.00, 220_000),
    ("Retail", 9, -0.20, 0.00, 0.80, 150_000),
    ("Professional Services", 8, 0.10, 0.10, 0.90, 160_000),
    ("Media", 5, -0.10, 0.00, 0.80, 200_000),
    ("Telecommunications", 5, 0.00, -0.05, 1.30, 350_000),
    ("Energy", 4, -0.10, -0.10, 1.30, 500_000),
    ("Transportation", 4, -0.20, 0.00, 0.90, 170_000),
    ("Education", 5, -0.30, -0.15, 0.70, 90_000),
    ("Government", 4, -0.40, -0.20, 1.10, 120_000),
)
UNKNOWN_INDUSTRY_SHARE = 0.02

# Source: (name, weight, lead-conversion effect, win effect, has campaign)
SOURCES: tuple[tuple[str, float, float, float, bool], ...] = (
    ("web", 24, 0.00, 0.00, False),
    ("referral", 8, 1.30, 0.45, False),
    ("event", 9, 0.35, 0.10, True),
    ("webinar", 9, 0.15, 0.00, True),
    ("partner", 7, 0.85, 0.25, True),
    ("outbound", 13, -0.45, -0.10, False),
    ("paid_search", 15, -0.75, -0.20, True),
    ("social", 9, -0.60, -0.15, True),
    ("import", 6, -1.00, -0.20, False),
)

# Title: (title, weight, seniority effect on conversion)
TITLES: tuple[tuple[str, float, float], ...] = (
    ("CEO", 2, 0.35),
    ("CTO", 2, 0.40),
    ("CFO", 1.5, 0.30),
    ("COO", 1.5, 0.30),
    ("VP Engineering", 3, 0.45),
    ("VP Sales", 3, 0.35),
    ("VP Marketing", 3, 0.30),
    ("VP Operations", 2, 0.30),
    ("Director of IT", 5, 0.30),
    ("Director of Engineering", 5, 0.35),
    ("Director of Sales Operations", 4, 0.25),
    ("Director of Finance", 3, 0.20),
    ("Head of Data", 3, 0.30),
    ("IT Manager", 7, 0.10),
    ("Engineering Manager", 6, 0.15),
    ("Marketing Manager", 6, 0.00),
    ("Operations Manager", 5, 0.00),
    ("Procurement Manager", 3, 0.10),
    ("Software Engineer", 8, -0.30),
    ("Data Analyst", 6, -0.25),
    ("Sales Representative", 5, -0.35),
    ("Consultant", 4, -0.20),
    ("Office Manager", 3, -0.40),
    ("Student", 2, -1.20),
)

FIRST_NAMES = (  # noqa: SIM905 - word lists read best as text
    "James Mary Robert Patricia Michael Jennifer William Linda David Elizabeth Richard Barbara Joseph Susan "
    "Thomas Jessica Charles Sarah Christopher Karen Daniel Lisa Matthew Nancy Anthony Betty Mark Sandra Donald "
    "Ashley Steven Emily Paul Kimberly Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa "
    "George Deborah Timothy Stephanie Ronald Rebecca Jason Laura Edward Sharon Jeffrey Cynthia Ryan Kathleen "
    "Jacob Amy Gary Angela Nicholas Anna Eric Brenda Jonathan Emma Stephen Olivia Larry Sophia Justin Mia "
    "Noah Ava Liam Isabella Lucas Chloe Mateo Camila Hiroshi Yuki Priya Arjun Wei Mei Lars Ingrid Pierre "
    "Camille Hans Greta Diego Lucia Rafael Sofia"
).split()
LAST_NAMES = (  # noqa: SIM905 - word lists read best as text
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall "
    "Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins "
    "Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly "
    "Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Tanaka Sato Muller Schmidt Rossi Dubois "
    "Larsen Silva Singh Chen Wang"
).split()
BRAND_HEADS = (  # noqa: SIM905 - word lists read best as text
    "Bright Blue North Apex Nova Silver Iron Clear Swift True Green Red Summit Pioneer Vertex Quantum Stellar "
    "Crystal Golden Rapid Prime Atlas Orbit Cedar Maple Harbor River Stone Falcon Eagle Lumen Zen Vista Echo "
    "Delta Omega Polar Solar Terra Aqua Sky Cloud Fusion Alpine Coastal Urban Metro Crest Pine Oak Frontier "
    "Beacon Keystone Horizon Meridian Sterling Cobalt Ember Titan"
).split()
BRAND_TAILS = (  # noqa: SIM905 - word lists read best as text
    "wave stone field bridge point path works line gate forge mark scope sphere logic core base hub port "
    "stream light craft shift grid peak view wise sync flow bay dale ridge wood vale spring gear cast net "
    "leaf rock well fort star beam bit byte cell frame loop mind sense tide wind brook land mill shore"
).split()
COMPANY_KINDS = (
    "Inc",
    "LLC",
    "Group",
    "Labs",
    "Systems",
    "Technologies",
    "Partners",
    "Holdings",
    "Solutions",
    "Corp",
    "Industries",
    "Networks",
    "Logistics",
    "Analytics",
    "Health",
    "Capital",
    "Foods",
    "Energy",
    "Media",
    "Software",
)
COMPANY_QUALIFIERS = ("", " International", " Global", " Americas")
PRODUCTS = ("Platform", "Analytics Suite", "Enterprise License", "Data Integration", "Support Plan", "Pilot")

SEGMENTS = ("smb", "mid_market", "enterprise")
SEGMENT_CONVERSION = np.array([-0.10, 0.10, 0.0])
SEGMENT_WIN = np.array([0.30, 0.0, -0.45])
SEGMENT_AMOUNT_MEDIAN = np.array([9_000.0, 38_000.0, 150_000.0])
SEGMENT_DURATION = np.array([0.6, 1.0, 1.8])

# Open stages in order; median days spent in each before the next change (scaled by segment).
STAGE_MEDIAN_DAYS = np.array([10.0, 18.0, 24.0, 16.0])
STAGE_CODES = {name: i for i, name in enumerate(STAGES)}
WON, LOST = STAGE_CODES["closed_won"], STAGE_CODES["closed_lost"]
LOST_AT_STAGE = np.array([0.34, 0.30, 0.22, 0.14])  # where lost deals stop (last open stage)
LOST_REASON_BY_STAGE = np.array(
    [  # price, competitor, no_budget, no_decision, timing, product_fit, unresponsive
        [0.05, 0.08, 0.20, 0.12, 0.15, 0.10, 0.30],
        [0.08, 0.15, 0.18, 0.15, 0.14, 0.15, 0.15],
        [0.25, 0.25, 0.10, 0.15, 0.10, 0.08, 0.07],
        [0.35, 0.30, 0.05, 0.18, 0.07, 0.02, 0.03],
    ]
)
BACKWARD_REASONS = ("customer re-scoped requirements", "new stakeholder joined", "budget review reopened")
SLIP_REASONS = (
    "close date pushed: customer delayed decision",
    "close date pushed: legal review taking longer",
    "close date pushed: budget approval pending",
    "close date pushed: champion on leave",
)
AMOUNT_DOWN_REASONS = ("amount revised: scope reduced", "amount revised: discount agreed")
AMOUNT_UP_REASONS = ("amount revised: added seats", "amount revised: upsell")
CONVERSION_REASON = "converted from lead"

WEEKDAY_FACTOR = np.array([1.10, 1.15, 1.10, 1.05, 0.85, 0.22, 0.18])  # Monday first
MONTH_FACTOR = np.array([1.05, 1.00, 1.10, 1.00, 1.00, 0.95, 0.85, 0.80, 1.10, 1.15, 1.05, 0.75])
YEARLY_GROWTH = 1.35


def reps_for(leads: int) -> int:
    """Number of reps for a demo of ``leads`` leads: 10 per 20,000 leads, at least 8, at most 120."""
    return int(min(120, max(8, round(leads / 2000))))


# Reason texts of history rows: conversion, backward moves, lost reasons, slips, amount changes.
EVENT_REASONS: tuple[str, ...] = (
    CONVERSION_REASON,
    *BACKWARD_REASONS,
    *LOST_REASONS,
    *SLIP_REASONS,
    *AMOUNT_DOWN_REASONS,
    *AMOUNT_UP_REASONS,
)
LOST_BASE = 1 + len(BACKWARD_REASONS)
SLIP_BASE = LOST_BASE + len(LOST_REASONS)
AMOUNT_BASE = SLIP_BASE + len(SLIP_REASONS)

TERRITORY_REASONS: tuple[str, ...] = (
    "country in " + ", ".join(COUNTRIES_NA),
    "country in " + ", ".join(COUNTRIES_EMEA),
    "country in " + ", ".join(COUNTRIES_APAC),
    "country in " + ", ".join(COUNTRIES_LATAM),
    "country in US, CA and industry in " + ", ".join(PUBLIC_SECTOR_INDUSTRIES),
    f"employee_count >= {STRATEGIC_EMPLOYEE_MIN}",
)

LEAD_COLUMNS = (
    "id",
    *LEAD_PROFILE_FIELDS,
    "campaign",
    "status",
    "engagement_score",
    "score",
    *LEAD_ROUTING_FIELDS,
    "account_id",
    "converted_opportunity_id",
    "converted_at",
    "created_at",
)
OPPORTUNITY_COLUMNS = ("id", *domain.OPPORTUNITY_COLUMNS)
