"""Writing imported accounts: matched by name (case-insensitive, oldest wins, as opportunities find them)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from crm.importing.report import RowError
from crm.importing.rows import BatchContext, Record
from crm.importing.staging import copy_rows
from crm.importing.values import CENT

ACCOUNT_COLUMNS: tuple[str, ...] = (
    "name",
    "external_id",
    "domain",
    "industry",
    "employee_count",
    "annual_revenue",
    "country",
    "owner_id",
)
EXISTING = (
    "SELECT DISTINCT ON (lower(name)) lower(name) AS key, id, "
    + ", ".join(ACCOUNT_COLUMNS)
    + " FROM accounts WHERE lower(name) = ANY(%(keys)s) ORDER BY lower(name), created_at, id"
)
UPDATE = (
    "UPDATE accounts SET " + ", ".join(f"{c} = %({c})s" for c in ACCOUNT_COLUMNS if c != "name") + " WHERE id = %(id)s"
)
MILLION = Decimal(1_000_000)


class AccountWriter:
    """Inserts new accounts and fills in or corrects the details of existing ones, batch by batch."""

    def __init__(self, ctx: BatchContext) -> None:
        self.ctx = ctx

    def finish(self) -> None:
        """Nothing runs in the background for accounts."""

    def write(self, records: list[Record]) -> None:
        """Validate against the database and upsert one batch."""
        ctx = self.ctx
        fresh = ctx.keyed(records, "name", str.lower)
        if not fresh:
            return
        with ctx.conn.cursor() as cur:
            cur.execute(EXISTING, {"keys": [r.values["name"].lower() for r in fresh]})
            names = [d.name for d in cur.description or ()]
            existing = {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
        new: list[tuple[Any, ...]] = []
        changed: list[dict[str, Any]] = []
        for record in fresh:
            values = {**ctx.defaults, **{k: v for k, v in record.values.items() if v is not None}}
            millions = values.pop("annual_revenue_millions", None)
            if millions is not None and values.get("annual_revenue") is None:
                values["annual_revenue"] = (millions * MILLION).quantize(CENT)
            owner_id, error = ctx.owner_id(Record(record.row_number, values))
            if error is not None:
                ctx.reject([error])
                continue
            found = existing.get(values["name"].lower())
            if found is None:
                account = {c: values.get(c) for c in ACCOUNT_COLUMNS}
                account["owner_id"] = owner_id if owner_id is not None else (ctx.actor.id if ctx.actor else None)
                new.append((uuid.uuid4(), *(account[c] for c in ACCOUNT_COLUMNS)))
                ctx.report.inserted += 1
                continue
            if not ctx.may_edit(found["owner_id"]):
                ctx.reject(
                    [
                        RowError(
                            record.row_number,
                            "name",
                            values["name"],
                            "permission denied: this account belongs to someone whose accounts you cannot change",
                        )
                    ]
                )
                continue
            stored = {c: found[c] for c in ACCOUNT_COLUMNS}
            account = dict(stored)
            for column in ACCOUNT_COLUMNS:
                if column not in ("name", "owner_id") and values.get(column) is not None:
                    account[column] = values[column]
            if owner_id is not None:
                account["owner_id"] = owner_id
            if account == stored:
                ctx.report.unchanged += 1
                continue
            ctx.report.updated += 1
            changed.append({**account, "id": found["id"]})
        if new:
            copy_rows(ctx.conn, "accounts", ("id", *ACCOUNT_COLUMNS), new)
        if changed:
            with ctx.conn.cursor() as cur:
                cur.executemany(UPDATE, changed)
