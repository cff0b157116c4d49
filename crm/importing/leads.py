"""Writing imported leads: merge with existing ones by key, score, route new ones, upsert in bulk."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from operator import itemgetter
from typing import Any

from crm.importing.report import RowError
from crm.importing.rows import BatchContext, Record
from crm.importing.staging import copy_rows
from crm.scoring import SCORE_INPUTS, calculate_score
from crm.territories import TerritoryRouter
from models.domain import LEAD_PROFILE_FIELDS, LEAD_ROUTING_FIELDS

LEAD_COLUMNS: tuple[str, ...] = (
    "external_id",
    *LEAD_PROFILE_FIELDS,
    "status",
    "engagement_score",
    "score",
    *LEAD_ROUTING_FIELDS,
    "converted_at",
    "created_at",
)
FILE_COLUMNS: frozenset[str] = frozenset(LEAD_COLUMNS) - {"score", "owner_id", "territory_id", "territory_reason"}
STAGE = "_import_leads"
STAGE_DDL = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
    id uuid, external_id text, first_name text, last_name text, email text, phone text, company text, title text,
    industry text, employee_count integer, annual_revenue numeric(16, 2), country text, source text, status text,
    engagement_score integer, score numeric(5, 2), owner_id uuid, territory_id uuid, territory_reason text,
    converted_at timestamptz, created_at timestamptz
) ON COMMIT DROP
"""
_cols = ", ".join(LEAD_COLUMNS)
UPSERT = f"""
INSERT INTO leads AS t (id, {_cols})
SELECT s.id, {", ".join("s." + c for c in LEAD_COLUMNS)} FROM {STAGE} s
ON CONFLICT (id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in LEAD_COLUMNS)}
WHERE ({", ".join("t." + c for c in LEAD_COLUMNS)})
    IS DISTINCT FROM ({", ".join("EXCLUDED." + c for c in LEAD_COLUMNS)})
"""
# One index probe per key, whatever the planner's statistics say (a hash join over a million leads is slow).
_SELECT_EXISTING = (
    "SELECT l.* FROM unnest(%(keys)s::text[]) k(v) CROSS JOIN LATERAL "
    f"(SELECT id, {_cols} FROM leads WHERE {{match}} LIMIT 1) l"
)
EXISTING_BY_EMAIL = _SELECT_EXISTING.format(match="lower(email) = k.v")
EXISTING_BY_EXTERNAL_ID = _SELECT_EXISTING.format(match="external_id = k.v")
STAGE_TYPES: tuple[str, ...] = (
    "uuid",
    *("text",) * 8,
    "int4",
    "numeric",
    "text",
    "text",
    "text",
    "int4",
    "numeric",
    "uuid",
    "uuid",
    "text",
    "timestamptz",
    "timestamptz",
)
SCORE_CACHE_LIMIT = 400_000


class LeadWriter:
    """Upserts batches of lead records for one import.

    The database work of batch N (new leads COPYed into the table; changed ones COPYed into a staging
    table, then one ``INSERT … ON CONFLICT (id) DO UPDATE … WHERE … IS DISTINCT FROM``) runs on a helper
    thread while the next batch is read and validated; the connection is used by one thread at a
    time (each batch waits for the previous upsert before its look-ups).
    """

    def __init__(self, ctx: BatchContext) -> None:
        self.ctx = ctx
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-upsert")
        self._pending: Future[None] | None = None
        self.router = TerritoryRouter.load(ctx.session, prefetch_loads=True)
        self._scores: dict[tuple[Any, ...], Decimal] = {}
        with ctx.conn.cursor() as cur:
            cur.execute(STAGE_DDL)

    def score(self, lead: dict[str, Any]) -> Decimal:
        """The lead's score (cached: many rows share the same scoring inputs)."""
        key = tuple(lead.get(f) for f in SCORE_INPUTS)
        cached = self._scores.get(key)
        if cached is None:
            if len(self._scores) > SCORE_CACHE_LIMIT:
                self._scores.clear()
            cached = Decimal(f"{calculate_score(dict(zip(SCORE_INPUTS, key, strict=True))):.2f}")
            self._scores[key] = cached
        return cached

    def finish(self) -> None:
        """Wait for the last upsert (raising its error, if any) and stop the helper thread."""
        try:
            self._wait()
        finally:
            self._pool.shutdown(wait=True)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _upsert(self, new: list[tuple[Any, ...]], changed: list[tuple[Any, ...]]) -> None:
        """New leads are COPYed straight into the table; changed ones go through staging and one upsert."""
        conn = self.ctx.conn
        if new:
            copy_rows(conn, "leads", LEAD_COLUMNS, new, types=STAGE_TYPES[1:])
        if changed:
            with conn.cursor() as cur:
                cur.execute(f"TRUNCATE {STAGE}")
            copy_rows(conn, STAGE, ("id", *LEAD_COLUMNS), changed, types=STAGE_TYPES)
            with conn.cursor() as cur:
                cur.execute(UPSERT)

    def write(self, records: list[Record]) -> None:
        """Validate against the database, merge, and upsert one batch (the upsert finishes in the background)."""
        ctx = self.ctx
        self._wait()
        key = ctx.plan.key
        secondary = "external_id" if key == "email" else "email"
        fresh: list[Record] = []
        for record in records:
            values = record.values
            key_value = values.get(key)
            if key_value is None:
                ctx.reject([RowError(record.row_number, key, "", f"{key} is required: it is the key for this import")])
                continue
            earlier = ctx.first_seen(ctx.seen_keys, _fold(key, key_value), record.row_number)
            if earlier is not None:
                ctx.reject([RowError(record.row_number, key, key_value, f"duplicate {key}: also in row {earlier}")])
                continue
            other = values.get(secondary)
            if other is not None:
                earlier = ctx.first_seen(ctx.seen_secondary, _fold(secondary, other), record.row_number)
                if earlier is not None:
                    ctx.reject(
                        [RowError(record.row_number, secondary, other, f"duplicate {secondary}: also in row {earlier}")]
                    )
                    continue
            fresh.append(record)
        if not fresh:
            return
        by_email: dict[str, dict[str, Any]] = {}
        by_external: dict[str, dict[str, Any]] = {}
        by_key = by_email if key == "email" else by_external
        queries = {"email": EXISTING_BY_EMAIL, "external_id": EXISTING_BY_EXTERNAL_ID}
        with ctx.conn.cursor(binary=True) as cur:

            def fetch(field_name: str, keys: list[str]) -> None:
                if not keys:
                    return
                cur.execute(queries[field_name], {"keys": keys})
                names = [d.name for d in cur.description or ()]
                for row in cur.fetchall():
                    lead = dict(zip(names, row, strict=True))
                    if lead["email"]:
                        by_email[lead["email"].lower()] = lead
                    if lead["external_id"]:
                        by_external[lead["external_id"]] = lead

            fetch(key, [_fold(key, r.values[key]) for r in fresh])
            # the other unique value is looked up only where the lead found by key does not already hold it
            others = []
            for r in fresh:
                other = r.values.get(secondary)
                if other is not None:
                    found = by_key.get(_fold(key, r.values[key]))
                    if found is None or _fold(secondary, found[secondary] or "") != _fold(secondary, other):
                        others.append(_fold(secondary, other))
            fetch(secondary, others)

        new: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        report = ctx.report
        for record in fresh:
            values = record.values
            if key == "email":
                existing = by_email.get(values["email"].lower())
                clash = by_external.get(values["external_id"]) if values.get("external_id") else None
            else:
                existing = by_external.get(values["external_id"])
                clash = by_email.get(values["email"].lower()) if values.get("email") else None
            if clash is not None and (existing is None or clash["id"] != existing["id"]):
                other_key = clash[key] or clash["id"]
                ctx.reject(
                    [
                        RowError(
                            record.row_number,
                            secondary,
                            str(values[secondary]),
                            f"{secondary} already belongs to another lead ({key} {other_key})",
                        )
                    ]
                )
                continue
            if existing is None:
                values = {**ctx.defaults, **{k: v for k, v in values.items() if v is not None}}
            owner_id, error = ctx.owner_id(Record(record.row_number, values))
            if error is not None:
                ctx.reject([error])
                continue
            if existing is not None:
                if not ctx.may_edit(existing["owner_id"]):
                    ctx.reject(
                        [
                            RowError(
                                record.row_number,
                                key,
                                str(values[key]),
                                "permission denied: this lead belongs to someone whose leads you cannot change",
                            )
                        ]
                    )
                    continue
                lead = dict(existing)
                for name, value in values.items():
                    if value is not None and name in FILE_COLUMNS:
                        lead[name] = value
                if owner_id is not None:
                    lead["owner_id"] = owner_id
            else:
                lead = dict.fromkeys(LEAD_COLUMNS)
                for name, value in values.items():
                    if name in FILE_COLUMNS:
                        lead[name] = value
                lead["status"] = lead["status"] or "new"
                lead["created_at"] = lead["created_at"] or ctx.now
                assignment = self.router.assign(lead)
                lead["territory_id"] = assignment.territory_id
                lead["territory_reason"] = assignment.reason
                if owner_id is None and (ctx.actor is None or ctx.actor.role != "rep"):
                    owner_id = assignment.owner_id
                if owner_id is None and ctx.actor is not None:
                    owner_id = ctx.actor.id
                    lead["territory_reason"] = f"{assignment.reason} Owner: {ctx.actor.name}, who imported it."
                lead["owner_id"] = owner_id
            if lead["status"] == "converted" and lead["converted_at"] is None:
                lead["converted_at"] = lead["created_at"] or ctx.now
            lead["score"] = self.score(lead)
            if existing is not None:
                if _comparable(lead) == _comparable(existing):
                    report.unchanged += 1
                    continue
                report.updated += 1
                changed.append((existing["id"], *_comparable(lead)))
            else:
                report.inserted += 1
                new.append(_comparable(lead))
        if new or changed:
            self._pending = self._pool.submit(self._upsert, new, changed)


_comparable = itemgetter(*LEAD_COLUMNS)


def _fold(field_name: str, value: str) -> str:
    return value.lower() if field_name == "email" else value
