"""The segments metrics can be grouped by, the filter choices, and who may see whose numbers."""

from __future__ import annotations

from typing import Any, Protocol

import polars as pl

from analytics.query import Source, run
from models.domain import STAGE_ORDER, STAGES

# dimension → (SQL for the key, SQL for the label); both evaluated on the mart row.
OPPORTUNITY_DIMENSIONS: dict[str, tuple[str, str]] = {
    "stage": ("stage", "stage"),
    "owner": ("owner_id", "owner_name"),
    "team": ("team_id", "team_name"),
    "territory": ("territory_id", "territory_name"),
    "source": ("source", "source"),
    "lost_reason": (
        "coalesce(nullif(trim(lost_reason), ''), '(none)')",
        "coalesce(nullif(trim(lost_reason), ''), '(none)')",
    ),
}
LEAD_DIMENSIONS: dict[str, tuple[str, str]] = {
    "source": ("source", "source"),
    "owner": ("owner_id", "owner_name"),
    "team": ("team_id", "team_name"),
    "territory": ("territory_id", "territory_name"),
    "cohort_month": ("strftime(created_month, '%Y-%m')", "strftime(created_month, '%Y-%m')"),
}


def dimension_sql(dimension: str, table: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """Key and label SQL for a dimension; a clear error names the allowed ones."""
    try:
        return table[dimension]
    except KeyError:
        raise ValueError(f"dimension must be one of {', '.join(table)}; got {dimension!r}") from None


def stages_values_sql(stages: tuple[str, ...] = STAGES) -> str:
    """A VALUES list ``(stage, stage_order)`` for joining stages in their funnel order."""
    rows = ", ".join(f"('{stage}', {STAGE_ORDER[stage]})" for stage in stages)
    return f"(VALUES {rows}) AS stages(stage, stage_order)"


class Viewer(Protocol):
    """Anything with the signed-in user's id, role and team (crm.actors.Actor fits)."""

    id: Any
    role: str
    team_id: Any


def visible_owner_ids(viewer: Viewer, *, con: Source = None) -> tuple[str, ...] | None:
    """Whose numbers ``viewer`` may see, the rule of ``crm.permissions.visible_owner_ids`` on the ``users`` mart.

    A rep their own; a manager their own, their team's and their direct reports'; others everyone's (None).
    """
    if viewer.role in ("analyst", "admin"):
        return None
    own = str(viewer.id)
    if viewer.role == "manager":
        team = None if viewer.team_id is None else str(viewer.team_id)
        frame = run("SELECT user_id FROM users WHERE manager_id = ? OR team_id = ?", [own, team], con=con)
        return tuple(sorted({own, *frame["user_id"].to_list()}))
    if viewer.role == "rep":
        return (own,)
    return ()


def filter_options(visible: tuple[str, ...] | None = None, *, con: Source = None) -> dict[str, pl.DataFrame]:
    """Choices for the filter panel: territories, teams, owners (within ``visible``) and lead sources."""
    owner_cond, params = (
        ("TRUE", [])
        if visible is None
        else ("CAST(user_id AS VARCHAR) IN (SELECT unnest(?::VARCHAR[]))", [list(visible)])
    )
    return {
        "territories": run("SELECT territory_id AS id, name AS label FROM territories ORDER BY name", con=con),
        "teams": run("SELECT team_id AS id, name AS label FROM teams ORDER BY name", con=con),
        "owners": run(
            f"SELECT user_id AS id, name AS label FROM users WHERE {owner_cond} ORDER BY name",
            params,
            con=con,
        ),
        "sources": run(
            "SELECT DISTINCT source AS id, source AS label FROM leads WHERE source IS NOT NULL ORDER BY 1", con=con
        ),
    }
