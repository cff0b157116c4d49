"""Writing imported opportunities: accounts, owners and lead links resolved, upserted, history written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from crm.importing.report import RowError
from crm.importing.rows import BatchContext, Record
from crm.importing.staging import copy_rows
from models.domain import CLOSED_STAGES, FIRST_STAGE, OPPORTUNITY_COLUMNS, STAGE_FORECAST_CATEGORY, STAGE_PROBABILITY

OPP_COLUMNS: tuple[str, ...] = ("external_id", *OPPORTUNITY_COLUMNS)
FILE_COLUMNS: frozenset[str] = frozenset(
    {"external_id", "name", "stage", "amount", "currency", "probability", "expected_close_date", "closed_at"}
    | {"lost_reason", "created_at"}
)
DEFAULT_LOST_REASON = "unspecified"
# History reasons. A row the file dates (created_at, closed_at) is a business event; a row dated by the import
# clock is not, and analytics.deal_features.data_end skips it (keep the two spellings in step).
IMPORTED, UNDATED_IMPORT = "imported", "imported (undated)"
CHANGED, UNDATED_CHANGE = "changed by import", "changed by import (undated)"
STAGE = "_import_opportunities"
STAGE_DDL = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
    id uuid, external_id text, name text, account_id uuid, lead_id uuid, owner_id uuid, territory_id uuid,
    stage text, amount numeric(14, 2), currency text, probability numeric(5, 2), forecast_category text,
    expected_close_date date, closed_at timestamptz, lost_reason text, source text, created_at timestamptz
) ON COMMIT DROP
"""
_cols = ", ".join(OPP_COLUMNS)
UPSERT = f"""
INSERT INTO opportunities AS t (id, {_cols})
SELECT s.id, {", ".join("s." + c for c in OPP_COLUMNS)} FROM {STAGE} s
ON CONFLICT (id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in OPP_COLUMNS)}
WHERE ({", ".join("t." + c for c in OPP_COLUMNS)})
    IS DISTINCT FROM ({", ".join("EXCLUDED." + c for c in OPP_COLUMNS)})
"""
# Look-ups probe an index once per key (LATERAL … LIMIT 1), whatever the planner's statistics say.
EXISTING = (
    "SELECT o.* FROM unnest(%(keys)s::text[]) k(v) CROSS JOIN LATERAL "
    f"(SELECT id, {_cols} FROM opportunities WHERE external_id = k.v LIMIT 1) o"
)
_SELECT_LEADS = (
    "SELECT l.* FROM unnest(%(keys)s::text[]) k(v) CROSS JOIN LATERAL "
    "(SELECT id, external_id, lower(email) AS email, status, owner_id, territory_id, account_id, source, company, "
    "converted_opportunity_id FROM leads WHERE {match} LIMIT 1) l"
)
LEADS_BY_EXTERNAL_ID = _SELECT_LEADS.format(match="external_id = k.v")
LEADS_BY_EMAIL = _SELECT_LEADS.format(match="lower(email) = k.v")
ACCOUNTS = """
SELECT k.v, a.id FROM unnest(%(names)s::text[]) k(v) CROSS JOIN LATERAL
    (SELECT id FROM accounts WHERE lower(name) = k.v ORDER BY created_at, id LIMIT 1) a
"""
HISTORY_COLUMNS = (
    "opportunity_id",
    "from_stage",
    "to_stage",
    "amount",
    "expected_close_date",
    "changed_at",
    "changed_by_id",
    "reason",
)
CONVERT_LEADS = """
UPDATE leads AS l SET status = 'converted',
    converted_at = COALESCE(l.converted_at, c.converted_at),
    converted_opportunity_id = COALESCE(l.converted_opportunity_id, c.opportunity_id),
    account_id = COALESCE(l.account_id, c.account_id)
FROM (SELECT unnest(%(lead_ids)s::uuid[]) AS lead_id, unnest(%(opp_ids)s::uuid[]) AS opportunity_id,
             unnest(%(account_ids)s::uuid[]) AS account_id, unnest(%(times)s::timestamptz[]) AS converted_at) c
WHERE l.id = c.lead_id
  AND (l.status, l.converted_opportunity_id, l.account_id) IS DISTINCT FROM
      ('converted', COALESCE(l.converted_opportunity_id, c.opportunity_id), COALESCE(l.account_id, c.account_id))
"""


class OpportunityWriter:
    """Upserts batches of opportunity records for one import, with their stage history."""

    def __init__(self, ctx: BatchContext) -> None:
        self.ctx = ctx
        self.accounts: dict[str, uuid.UUID] = {}
        with ctx.conn.cursor() as cur:
            cur.execute(STAGE_DDL)

    def finish(self) -> None:
        """Nothing runs in the background for opportunities."""

    def write(self, records: list[Record]) -> None:
        """Validate against the database, merge, and upsert one batch."""
        ctx = self.ctx
        fresh = ctx.keyed(records, "external_id")
        if not fresh:
            return
        existing_by_id, leads_by_ext, leads_by_email = self._lookups(fresh)

        planned: list[tuple[Record, dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]] = []
        for record in fresh:
            existing = existing_by_id.get(record.values["external_id"])
            values = record.values
            if existing is None:
                values = {**ctx.defaults, **{k: v for k, v in values.items() if v is not None}}
            planned_row = self._plan(record.row_number, values, existing, leads_by_ext, leads_by_email)
            if planned_row is not None:
                opp, lead = planned_row
                planned.append((record, opp, existing, lead))

        self._resolve_accounts([opp for _, opp, _, _ in planned])
        staged: list[tuple[Any, ...]] = []
        history: list[tuple[Any, ...]] = []
        conversions: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID | None, datetime]] = {}
        actor_id = ctx.actor.id if ctx.actor is not None else None
        report = ctx.report
        for _record, opp, existing, lead in planned:
            account_name = opp.pop("_account_name", None)
            if account_name is not None:
                opp["account_id"] = self.accounts[account_name.lower()]
            if existing is not None:
                if all(opp[c] == existing[c] for c in OPP_COLUMNS):
                    report.unchanged += 1
                else:
                    report.updated += 1
                    staged.append((opp["id"], *(opp[c] for c in OPP_COLUMNS)))
                    history.extend(_history_for_update(opp, existing, actor_id, ctx.now))
            else:
                report.inserted += 1
                staged.append((opp["id"], *(opp[c] for c in OPP_COLUMNS)))
                history.extend(_history_for_new(opp, actor_id, ctx.now))
            if (
                lead is not None
                and lead["id"] not in conversions
                and (lead["status"] != "converted" or lead["converted_opportunity_id"] is None)
            ):
                conversions[lead["id"]] = (opp["id"], opp["account_id"], opp["created_at"])
        if staged:
            with ctx.conn.cursor() as cur:
                cur.execute(f"TRUNCATE {STAGE}")
            copy_rows(ctx.conn, STAGE, ("id", *OPP_COLUMNS), staged)
            with ctx.conn.cursor() as cur:
                cur.execute(UPSERT)
        if history:
            copy_rows(ctx.conn, "opportunity_stage_history", HISTORY_COLUMNS, history)
            report.history_rows += len(history)
        if conversions:
            with ctx.conn.cursor() as cur:
                cur.execute(
                    CONVERT_LEADS,
                    {
                        "lead_ids": list(conversions),
                        "opp_ids": [c[0] for c in conversions.values()],
                        "account_ids": [c[1] for c in conversions.values()],
                        "times": [c[2] for c in conversions.values()],
                    },
                )
                report.leads_converted += cur.rowcount

    def _lookups(
        self, records: list[Record]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        conn = self.ctx.conn
        existing: dict[str, dict[str, Any]] = {}
        with conn.cursor() as cur:
            cur.execute(EXISTING, {"keys": [r.values["external_id"] for r in records]})
            names = [d.name for d in cur.description or ()]
            for row in cur.fetchall():
                opp = dict(zip(names, row, strict=True))
                existing[opp["external_id"]] = opp
        lead_ext = [r.values["lead_external_id"] for r in records if r.values.get("lead_external_id")]
        lead_emails = [r.values["lead_email"].lower() for r in records if r.values.get("lead_email")]
        by_ext: dict[str, dict[str, Any]] = {}
        by_email: dict[str, dict[str, Any]] = {}
        with conn.cursor() as cur:
            for query, keys in ((LEADS_BY_EXTERNAL_ID, lead_ext), (LEADS_BY_EMAIL, lead_emails)):
                if not keys:
                    continue
                cur.execute(query, {"keys": keys})
                names = [d.name for d in cur.description or ()]
                for row in cur.fetchall():
                    lead = dict(zip(names, row, strict=True))
                    if lead["external_id"]:
                        by_ext[lead["external_id"]] = lead
                    if lead["email"]:
                        by_email[lead["email"]] = lead
        return existing, by_ext, by_email

    def _plan(
        self,
        row_number: int,
        values: dict[str, Any],
        existing: dict[str, Any] | None,
        leads_by_ext: dict[str, dict[str, Any]],
        leads_by_email: dict[str, dict[str, Any]],
    ) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
        """The opportunity's final values and its linked lead, or None after rejecting the row."""
        ctx = self.ctx
        errors: list[RowError] = []
        owner_id, error = ctx.owner_id(Record(row_number, values))
        if error is not None:
            errors.append(error)
        lead: dict[str, Any] | None = None
        if values.get("lead_external_id") is not None:
            lead = leads_by_ext.get(values["lead_external_id"])
            if lead is None:
                errors.append(
                    RowError(
                        row_number,
                        "lead_external_id",
                        values["lead_external_id"],
                        f"no lead with external_id {values['lead_external_id']}",
                    )
                )
        elif values.get("lead_email") is not None:
            lead = leads_by_email.get(values["lead_email"].lower())
            if lead is None:
                errors.append(
                    RowError(
                        row_number, "lead_email", values["lead_email"], f"no lead with email {values['lead_email']}"
                    )
                )
        if existing is not None and not ctx.may_edit(existing["owner_id"]):
            errors.append(
                RowError(
                    row_number,
                    "external_id",
                    values["external_id"],
                    "permission denied: this opportunity belongs to someone whose deals you cannot change",
                )
            )
        if errors:
            ctx.reject(errors)
            return None

        if existing is not None:
            opp = dict(existing)
            for name, value in values.items():
                if value is not None and name in FILE_COLUMNS:
                    opp[name] = value
            if owner_id is not None:
                opp["owner_id"] = owner_id
            if lead is not None and opp["lead_id"] is None:
                opp["lead_id"] = lead["id"]
            if opp["stage"] != existing["stage"]:
                opp["forecast_category"] = STAGE_FORECAST_CATEGORY[opp["stage"]]
                if values.get("probability") is None:
                    opp["probability"] = Decimal(STAGE_PROBABILITY[opp["stage"]])
                if opp["stage"] not in CLOSED_STAGES and values.get("closed_at") is None:
                    opp["closed_at"] = None
        else:
            opp = dict.fromkeys(OPP_COLUMNS)
            for name, value in values.items():
                if name in FILE_COLUMNS:
                    opp[name] = value
            opp["id"] = uuid.uuid4()
            opp["stage"] = opp["stage"] or FIRST_STAGE
            opp["amount"] = opp["amount"] if opp["amount"] is not None else Decimal("0.00")
            opp["currency"] = opp["currency"] or "USD"
            if opp["probability"] is None:
                opp["probability"] = Decimal(STAGE_PROBABILITY[opp["stage"]])
            opp["forecast_category"] = STAGE_FORECAST_CATEGORY[opp["stage"]]
            if lead is not None:
                opp["lead_id"] = lead["id"]
                opp["source"] = lead["source"]
            if owner_id is None and lead is not None:
                owner_id = lead["owner_id"]
            if owner_id is None and ctx.actor is not None and ctx.actor.role == "rep":
                owner_id = ctx.actor.id
            opp["owner_id"] = owner_id
            opp["territory_id"] = (lead["territory_id"] if lead is not None else None) or (
                ctx.user_territories.get(owner_id) if owner_id is not None else None
            )
            if opp["created_at"] is None:
                closed_at = opp["closed_at"] if opp["stage"] in CLOSED_STAGES else None
                opp["created_at"] = min(closed_at, ctx.now) if closed_at is not None else ctx.now
            if opp["name"] is None:
                opp["name"] = (
                    values.get("account_name")
                    or (lead["company"] if lead is not None else None)
                    or f"Imported opportunity {opp['external_id']}"
                )[:200]
        opp["id"] = existing["id"] if existing is not None else opp["id"]
        if values.get("account_name") is not None:
            opp["_account_name"] = values["account_name"]
        elif opp["account_id"] is None and lead is not None:
            opp["account_id"] = lead["account_id"]

        stage = opp["stage"]
        if stage in CLOSED_STAGES:
            if opp["closed_at"] is None:
                close_date = opp["expected_close_date"]
                fallback = opp["created_at"] if existing is None else max(ctx.now, opp["created_at"])
                opp["closed_at"] = datetime.combine(close_date, time(), tzinfo=UTC) if close_date else fallback
            if stage == "closed_lost" and not opp["lost_reason"]:
                opp["lost_reason"] = DEFAULT_LOST_REASON
            if opp["closed_at"] < opp["created_at"]:
                ctx.reject(
                    [
                        RowError(
                            row_number,
                            "closed_at",
                            opp["closed_at"].isoformat(),
                            f"closed_at is before created_at ({opp['created_at'].isoformat()})",
                        )
                    ]
                )
                return None
        elif values.get("closed_at") is not None:
            ctx.reject(
                [
                    RowError(
                        row_number,
                        "closed_at",
                        values["closed_at"].isoformat(),
                        f"closed_at is set but stage {stage} is open (closed_won or closed_lost have a close time)",
                    )
                ]
            )
            return None
        return opp, lead

    def _resolve_accounts(self, opps: list[dict[str, Any]]) -> None:
        """Find accounts by name (case-insensitive, oldest wins); create the missing ones."""
        wanted: dict[str, str] = {}
        for opp in opps:
            name = opp.get("_account_name")
            if name is not None and name.lower() not in self.accounts:
                wanted.setdefault(name.lower(), name)
        if not wanted:
            return
        conn = self.ctx.conn
        with conn.cursor() as cur:
            cur.execute(ACCOUNTS, {"names": list(wanted)})
            for lowered, account_id in cur.fetchall():
                self.accounts[lowered] = account_id
        missing = [(uuid.uuid4(), name) for lowered, name in wanted.items() if lowered not in self.accounts]
        if missing:
            copy_rows(conn, "accounts", ("id", "name"), missing)
            for account_id, name in missing:
                self.accounts[name.lower()] = account_id
            self.ctx.report.accounts_created += len(missing)


def _history_for_new(opp: dict[str, Any], actor_id: uuid.UUID | None, now: datetime) -> list[tuple[Any, ...]]:
    """History of a new deal: only what the file says, each fact from the moment it was known.

    From ``created_at`` the deal is open in the first stage with an unknown amount and close date; the file's
    stage, amount and expected close date apply from ``closed_at`` for a closed deal and from the import
    (``now``) for an open one. One row when both moments coincide. Rows dated by the import clock carry
    UNDATED_IMPORT so that they never count as the data's last business event.
    """
    stage, opened_at = opp["stage"], opp["created_at"]
    known_at = opp["closed_at"] if stage in CLOSED_STAGES else max(now, opened_at)
    reason = UNDATED_IMPORT if known_at == now else IMPORTED
    final = (opp["amount"], opp["expected_close_date"], known_at, actor_id, reason)
    if known_at <= opened_at:
        return [(opp["id"], None, stage, *final)]
    opened_reason = UNDATED_IMPORT if opened_at == now else IMPORTED
    return [
        (opp["id"], None, FIRST_STAGE, None, None, opened_at, actor_id, opened_reason),
        (opp["id"], FIRST_STAGE, stage, *final),
    ]


def _history_for_update(
    opp: dict[str, Any], existing: dict[str, Any], actor_id: uuid.UUID | None, now: datetime
) -> list[tuple[Any, ...]]:
    """One history row when a re-import changes the stage, amount or expected close date."""
    if opp["stage"] != existing["stage"]:
        at = opp["closed_at"] if opp["stage"] in CLOSED_STAGES else now
    elif opp["amount"] != existing["amount"] or opp["expected_close_date"] != existing["expected_close_date"]:
        at = now
    else:
        return []
    return [
        (
            opp["id"],
            existing["stage"],
            opp["stage"],
            opp["amount"],
            opp["expected_close_date"],
            at,
            actor_id,
            UNDATED_CHANGE if at == now else CHANGED,
        )
    ]
