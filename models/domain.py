"""Domain values (stored lowercase, shown in Title Case) — the contract in DESIGN.md."""

from __future__ import annotations

LEAD_STATUSES: tuple[str, ...] = ("new", "contacted", "qualified", "unqualified", "converted")
# The statuses a person sets by hand (a lead becomes ``converted`` only by conversion) and the open ones.
SETTABLE_LEAD_STATUSES: tuple[str, ...] = LEAD_STATUSES[:4]
OPEN_LEAD_STATUSES: tuple[str, ...] = ("new", "contacted", "qualified")
STAGES: tuple[str, ...] = ("prospecting", "discovery", "proposal", "negotiation", "closed_won", "closed_lost")
OPEN_STAGES: tuple[str, ...] = STAGES[:4]
CLOSED_STAGES: tuple[str, ...] = ("closed_won", "closed_lost")
FIRST_STAGE: str = STAGES[0]
STAGE_ORDER: dict[str, int] = {stage: i for i, stage in enumerate(STAGES, start=1)}
ROLES: tuple[str, ...] = ("rep", "manager", "analyst", "admin")
SEES_EVERYTHING_ROLES: tuple[str, ...] = ("analyst", "admin")  # read every record (analysts write none)

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

# Column names shared by the lead forms, the service, the importer, the demo and the benchmarks:
# who the lead is and where from (in this order everywhere they are listed).
LEAD_PROFILE_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "employee_count",
    "annual_revenue",
    "country",
    "source",
)
# How the system placed a lead (written by the services and the importer, not typed in).
LEAD_ROUTING_FIELDS: tuple[str, ...] = ("owner_id", "territory_id", "territory_reason")
# A deal's own columns, as the importer and the demo load them (after their key).
OPPORTUNITY_COLUMNS: tuple[str, ...] = (
    "name",
    "account_id",
    "lead_id",
    "owner_id",
    "territory_id",
    "stage",
    "amount",
    "currency",
    "probability",
    "forecast_category",
    "expected_close_date",
    "closed_at",
    "lost_reason",
    "source",
    "created_at",
)
# Maximum lengths of the text columns (models.tables, the schemas and the importer all use these).
TEXT_LENGTHS: dict[str, int] = {
    "external_id": 120,
    "first_name": 100,
    "last_name": 100,
    "email": 320,
    "phone": 50,
    "company": 200,
    "title": 200,
    "industry": 80,
    "country": 80,
    "source": 80,
    "campaign": 120,
    "name": 200,
    "domain": 200,
    "lost_reason": 200,
}


def title_case(value: str | None) -> str:
    """Show a stored domain value to people: ``closed_won`` → ``Closed Won``."""
    if not value:
        return ""
    return value.replace("_", " ").title()


def sql_in(values: tuple[str, ...]) -> str:
    """Render a tuple of domain values as a SQL IN list (constants only, never user input)."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"
