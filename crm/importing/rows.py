"""Turning CSV records into validated field values, with one RowError per bad cell."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from crm.actors import Actor
from crm.importing.fields import FIELDS, FieldSpec
from crm.importing.mapping import ColumnPlan, InvalidMapping, Mapping
from crm.importing.report import ImportReport, RowError
from crm.importing.values import DateReader, make_parser, parse_text


@dataclass
class Record:
    """One valid-so-far row: its number and the parsed values of the fields it has (None = missing)."""

    row_number: int
    values: dict[str, Any]


class RowParser:
    """Parses the records of one file with one mapping."""

    def __init__(self, plan: ColumnPlan, mapping: Mapping, dates: DateReader) -> None:
        specs = FIELDS[plan.entity]
        self._columns: list[tuple[str, int, Callable[[str, FieldSpec], Any], FieldSpec, bool]] = [
            (name, index, make_parser(name, specs[name], dates), specs[name], name in mapping.values)
            for name, index in plan.indexes.items()
        ]
        self._mapping = mapping
        self._width = len(plan.header)
        self.defaults: dict[str, Any] = {}
        for name, raw in mapping.defaults.items():
            if raw is None:
                continue
            text = str(raw).strip()
            try:
                self.defaults[name] = make_parser(name, specs[name], dates)(text, specs[name]) if text else None
            except ValueError as exc:
                raise InvalidMapping(f'"defaults.{name}": {exc}', field=name) from None

    def parse(self, row_number: int, cells: list[str]) -> tuple[Record | None, list[RowError]]:
        """The record, or None with the errors found (every bad cell is reported, not just the first)."""
        if len(cells) != self._width and not (
            len(cells) > self._width and not any(c.strip() for c in cells[self._width :])
        ):
            return None, [
                RowError(
                    row_number,
                    "",
                    _preview(cells),
                    f"row has {len(cells)} values but the header has {self._width} columns",
                )
            ]
        values: dict[str, Any] = {}
        errors: list[RowError] = []
        translate = self._mapping.translate
        for name, index, parser, spec, mapped in self._columns:
            raw = cells[index]
            if mapped:
                translated = translate(name, raw)
                if translated is None:
                    values[name] = None
                    continue
                raw = translated
            text = raw.strip()
            if not text:
                values[name] = None
            elif parser is parse_text and len(text) <= spec.max_length and "\x00" not in text:  # type: ignore[operator]
                values[name] = text  # the common case, inlined
            else:
                try:
                    values[name] = parser(text, spec)
                except ValueError as exc:
                    errors.append(RowError(row_number, name, raw, str(exc)))
        if errors:
            return None, errors
        return Record(row_number, values), []


def _preview(cells: list[str]) -> str:
    return ",".join(cells)[:200]


@dataclass
class BatchContext:
    """What entity writers share for one import: the connection, lookups, report and actor."""

    session: Session
    conn: psycopg.Connection[Any]
    report: ImportReport
    plan: ColumnPlan
    defaults: dict[str, Any]
    actor: Actor | None
    editable_owners: set[uuid.UUID] | None
    now: datetime
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    user_territories: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)
    seen_keys: dict[int, int] = field(default_factory=dict)
    seen_secondary: dict[int, int] = field(default_factory=dict)

    def reject(self, errors: list[RowError]) -> None:
        """Record a bad row's errors (the row is not written)."""
        self.report.rows_rejected += 1
        for error in errors:
            self.report.add_error(error)

    def owner_id(self, record: Record, field_name: str = "owner_email") -> tuple[uuid.UUID | None, RowError | None]:
        """The user id for the record's owner email (None when blank), or a RowError when unknown."""
        email = record.values.get(field_name)
        if email is None:
            return None, None
        user_id = self.users.get(email.lower())
        if user_id is None:
            return None, RowError(record.row_number, field_name, email, f"no user with email {email}")
        if self.editable_owners is not None and user_id not in self.editable_owners:
            return None, RowError(
                record.row_number, field_name, email, "permission denied: you cannot give records to this user"
            )
        return user_id, None

    def may_edit(self, owner_id: uuid.UUID | None) -> bool:
        """Whether the actor may change a record owned by ``owner_id``."""
        return self.editable_owners is None or (owner_id is not None and owner_id in self.editable_owners)

    def keyed(self, records: list[Record], key: str, fold: Callable[[str], str] = str) -> list[Record]:
        """The records that have ``key`` and are its first row in the file; the others are rejected."""
        fresh: list[Record] = []
        for record in records:
            value = record.values.get(key)
            if value is None:
                self.reject([RowError(record.row_number, key, "", f"{key} is required: it is the key for this import")])
                continue
            earlier = self.first_seen(self.seen_keys, fold(value), record.row_number)
            if earlier is not None:
                self.reject([RowError(record.row_number, key, value, f"duplicate {key}: also in row {earlier}")])
                continue
            fresh.append(record)
        return fresh

    def first_seen(self, table: dict[int, int], value: str, row_number: int) -> int | None:
        """Remember ``value`` for this file; return the earlier row number when it was seen before."""
        h = hash(value)
        earlier = table.get(h)
        if earlier is None:
            table[h] = row_number
        return earlier
