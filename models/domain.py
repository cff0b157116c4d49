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


# How stored values and warehouse columns read to people (tables, charts, CSV headers).
# Domain values default to Title Case (``closed_won`` → "Closed Won"); these read better otherwise.
VALUE_LABELS: dict[str, str] = {
    "stage_weighted_pipeline": "Stage-weighted pipeline",
    "last_period_actual": "Last period's actual",
    "forecast": "Forecast (P50)",
    "pulled_in": "Close date pulled in",
    "pushed_out": "Close date pushed out",
    "stage fallback": "Stage fallback",
}
# Columns whose text values are stored domain codes (shown through ``value_label``).
CODED_COLUMNS: frozenset[str] = frozenset(
    {
        "stage", "status", "source", "from_stage", "to_stage", "stage_now", "lost_reason", "change", "step",
        "method", "role", "forecast_category", "probability_source",
    }
)  # fmt: skip
DOMAIN_VALUES: frozenset[str] = frozenset(
    (*LEAD_STATUSES, *STAGES, *ROLES, *FORECAST_CATEGORIES, *LEAD_SOURCES, *LOST_REASONS, *VALUE_LABELS)
)
COLUMN_LABELS: dict[str, str] = {
    "open": "Open",
    "label": "Name",
    "name": "Deal",
    "full_name": "Lead",
    "email": "Email",
    "company": "Company",
    "account_name": "Account",
    "owner_name": "Owner",
    "team_name": "Team",
    "territory_name": "Territory",
    "source": "Source",
    "status": "Status",
    "score": "Score",
    "stage": "Stage",
    "stage_now": "Stage now",
    "amount": "Amount",
    "weighted_amount": "Weighted amount",
    "probability": "Stage probability",
    "expected_close_on": "Expected close",
    "close_overdue": "Overdue",
    "created_at": "Created",
    "closed_at": "Closed",
    "converted_at": "Converted",
    "entered_at": "Entered stage",
    "left_at": "Left stage",
    "lost_reason": "Lost reason",
    "days": "Days",
    "days_in_stage": "Days in stage",
    "days_to_convert": "Days to convert",
    "stage_p90_days": "Stage P90 (days)",
    "count_open": "Open deals",
    "count_leads": "Leads",
    "count_converted": "Converted",
    "count_won": "Won",
    "count_lost": "Lost",
    "count_closed": "Closed",
    "count_reached": "Reached",
    "count_previous": "At previous stage",
    "count_visits": "Visits",
    "count_deals": "Deals",
    "count_snapshots": "Deal snapshots",
    "count_won_deals": "Won deals",
    "count_rows": "Rows",
    "split": "Split",
    "count_dates": "Forecast dates",
    "count_months": "Months",
    "count_owner_periods": "Owner periods",
    "snapshot_on": "Day",
    "from_stage": "Stage before",
    "to_stage": "Stage after",
    "from_amount": "Amount before",
    "to_amount": "Amount after",
    "from_close_on": "Close date before",
    "to_close_on": "Close date after",
    "was_open": "Open at start",
    "is_open_at_end": "Open at end",
    "change": "Change",
    "pipeline_effect": "Effect on pipeline",
    "is_pulled_in": "Close date pulled in",
    "is_pushed_out": "Close date pushed out",
    "step": "Step",
    "median_days_to_convert": "Median days to convert",
    "p90_days_to_convert": "P90 days to convert",
    "conversion_rate": "Conversion rate",
    "conversion_rate_interval": "95% range",
    "cohort_on": "Cohort start",
    "cohort_month": "Cohort",
    "months_since_created": "Months since created",
    "cohort_size": "Cohort size",
    "is_complete": "Month complete",
    "share_of_first": "Share of first stage",
    "stage_conversion": "From previous stage",
    "stage_conversion_interval": "95% range",
    "median_days": "Median days",
    "p90_days": "P90 days",
    "mean_days": "Mean days",
    "win_rate": "Win rate",
    "win_rate_interval": "95% range",
    "won_amount": "Won amount",
    "average_deal_size": "Average deal size",
    "sales_velocity_per_day": "Sales velocity per day",
    "mean_cycle_days": "Mean cycle (days)",
    "lost_amount": "Lost amount",
    "share": "Share",
    "open_amount": "Open pipeline",
    "quota": "Quota",
    "quota_attainment": "Attainment",
    "rank": "Rank",
    "quarter_start_on": "Quarter start",
    "quarter_end_on": "Quarter end",
    "remaining_quota": "Quota still to win",
    "coverage": "Coverage",
    "pipeline_to_quota": "Pipeline ÷ quota",
    "p10": "P10",
    "p50": "P50 (median)",
    "p90": "P90",
    "mean": "Expected (mean)",
    "quarter_forecast_p50": "Quarter forecast (P50)",
    "quarter_won_to_date": "Won this quarter so far",
    "p_reach_quota": "Chance to reach quota",
    "win_probability": "Win chance",
    "reasons": "Why",
    "model_reasons": "Why (model)",
    "probability_source": "Probability from",
    "expected_won_in_horizon": "Expected won in horizon",
    "as_of": "As of",
    "horizon_end": "Horizon end",
    "actual": "Actual",
    "stage_weighted_pipeline": "Stage-weighted pipeline",
    "last_period_actual": "Last period's actual",
    "auc": "AUC",
    "brier": "Brier score",
    "ece": "Calibration error (ECE)",
    "method": "Method",
    "wape": "Error (WAPE)",
    "bias": "Bias",
    "coverage_total": "Inside P10–P90 (total)",
    "coverage_months": "Inside P10–P90 (months)",
    "coverage_owners": "Inside P10–P90 (owners)",
    "model": "Model",
    "rows": "Rows",
    "importance": "Importance",
    "std": "Spread (std)",
    "kpi": "Measure",
    "unit": "Unit",
    "value": "Value",
    "previous_value": "Previous period",
    "sample_size": "Sample size",
}
_ACRONYMS = {"p10": "P10", "p50": "P50", "p90": "P90", "auc": "AUC", "ece": "ECE", "wape": "WAPE", "id": "ID"}


def value_label(value: object, *, coded: bool = False) -> str:
    """A stored value as people read it: ``paid_search`` → "Paid Search"; other text unchanged; None → "".

    ``coded``: the value comes from a column of codes (``CODED_COLUMNS``), so any lowercase code is a label.
    """
    if value is None:
        return ""
    text = str(value)
    if text in VALUE_LABELS:
        return VALUE_LABELS[text]
    is_code = text.islower() and " " not in text and "@" not in text
    return title_case(text) if text in DOMAIN_VALUES or (is_code and (coded or "_" in text)) else text


def column_label(name: str) -> str:
    """A column's header for people: ``count_open`` → "Open deals", ``lead_id`` → "Lead ID"."""
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    words = [w for w in name.split("_") if w and w not in ("is", "count")]
    if name.startswith("count_"):
        words = [*words, "(count)"]
    text = " ".join(_ACRONYMS.get(w, w) for w in words) or name
    return text[0].upper() + text[1:]
