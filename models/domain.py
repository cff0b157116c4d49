"""Domain values (stored lowercase, shown in Title Case) — the contract in DESIGN.md."""

from __future__ import annotations

LEAD_STATUSES: tuple[str, ...] = ("new", "contacted", "qualified", "unqualified", "converted")
STAGES: tuple[str, ...] = ("prospecting", "discovery", "proposal", "negotiation", "closed_won", "closed_lost")
OPEN_STAGES: tuple[str, ...] = STAGES[:4]
CLOSED_STAGES: tuple[str, ...] = ("closed_won", "closed_lost")
ROLES: tuple[str, ...] = ("rep", "manager", "analyst", "admin")

# Default win probability (%) and forecast category per stage; a deal may override them.
STAGE_PROBABILITY: dict[str, int] = {
    "prospecting": 10,
    "discovery": 20,
    "proposal": 50,
    "negotiation": 75,
    "closed_won": 100,
    "closed_lost": 0,
}
FORECAST_CATEGORIES: tuple[str, ...] = ("pipeline", "best_case", "commit", "closed", "omitted")
STAGE_FORECAST_CATEGORY: dict[str, str] = {
    "prospecting": "pipeline",
    "discovery": "pipeline",
    "proposal": "best_case",
    "negotiation": "commit",
    "closed_won": "closed",
    "closed_lost": "omitted",
}

LEAD_SOURCES: tuple[str, ...] = (
    "web",
    "referral",
    "event",
    "webinar",
    "partner",
    "outbound",
    "paid_search",
    "social",
    "import",
)
LOST_REASONS: tuple[str, ...] = (
    "price",
    "competitor",
    "no_budget",
    "no_decision",
    "timing",
    "product_fit",
    "unresponsive",
)


def title_case(value: str | None) -> str:
    """Show a stored domain value to people: ``closed_won`` → ``Closed Won``."""
    if not value:
        return ""
    return value.replace("_", " ").title()


def sql_in(values: tuple[str, ...]) -> str:
    """Render a tuple of domain values as a SQL IN list (constants only, never user input)."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"
