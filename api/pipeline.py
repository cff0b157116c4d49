"""Open pipeline by stage from the serving warehouse (interim until analytics/ provides it)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from core.warehouse import warehouse_cursor
from models.domain import OPEN_STAGES


def open_pipeline_summary(
    *, owner_ids: Collection[uuid.UUID] | None = None
) -> tuple[list[dict[str, object]], datetime | None]:
    """Open count, amount and weighted amount per open stage (None = every owner), and the data's as-of."""
    where, params = "is_open", []
    if owner_ids is not None:
        where += " AND list_contains(?, owner_id)"
        params.append([str(o) for o in owner_ids])
    with warehouse_cursor() as cur:
        rows = cur.execute(
            "SELECT stage, count(*), coalesce(sum(amount), 0), coalesce(sum(weighted_amount), 0) "
            f"FROM opportunities WHERE {where} GROUP BY stage",
            params,
        ).fetchall()
        as_of = cur.execute("SELECT max(source_snapshot_at) FROM etl_runs WHERE status = 'success'").fetchone()
    found = {r[0]: r for r in rows}
    by_stage = [
        {
            "stage": stage,
            "open_count": int(found[stage][1]) if stage in found else 0,
            "open_amount": float(found[stage][2]) if stage in found else 0.0,
            "weighted_amount": float(found[stage][3]) if stage in found else 0.0,
        }
        for stage in OPEN_STAGES
    ]
    return by_stage, (as_of[0] if as_of else None)
