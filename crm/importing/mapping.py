"""Mapping files: which CSV column feeds which field, value translations, defaults and the upsert key."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm.errors import DomainError
from crm.importing.fields import ENTITIES, FIELDS, KEYS

MAPPING_KEYS = ("columns", "values", "defaults", "key", "date_order", "description")
DATE_ORDERS = ("dmy", "mdy")


class InvalidMapping(DomainError):
    """The mapping file is not usable; the message names the key and the problem."""


class InvalidImportFile(DomainError):
    """The file cannot be imported at all (encoding, shape, columns); nothing was changed."""

    def __init__(self, message: str, *, field: str | None = None, row_number: int | None = None) -> None:
        super().__init__(message, field=field)
        self.row_number = row_number


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (see docs/import.md); ``values`` maps raw CSV values (None = missing)."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    date_order: str | None = None

    def __post_init__(self) -> None:
        folded = {name: {k.strip().casefold(): v for k, v in t.items()} for name, t in self.values.items()}
        object.__setattr__(self, "_folded", folded)

    def translate(self, field_name: str, raw: str) -> str | None:
        """Apply ``values`` to one raw cell: exact match first, then trimmed and case-insensitive."""
        table = self.values.get(field_name)
        if not table:
            return raw
        if raw in table:
            return table[raw]
        return self._folded[field_name].get(raw.strip().casefold(), raw)  # type: ignore[attr-defined]


def load_mapping(source: str | Path | Mapping | MappingABC[str, Any] | None) -> Mapping:
    """Read a mapping from a JSON file path, a JSON string or a dict; None gives the empty mapping."""
    if source is None:
        return Mapping()
    if isinstance(source, Mapping):
        return source
    if isinstance(source, MappingABC):
        data: Any = dict(source)
    else:
        text = str(source)
        if isinstance(source, Path) or not text.lstrip().startswith("{"):
            path = Path(source)
            try:
                text = path.read_text(encoding="utf-8-sig")
            except OSError as exc:
                raise InvalidMapping(f"cannot read mapping file {path}: {exc.strerror}", field="mapping") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidMapping(
                f"mapping is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", field="mapping"
            ) from None
    return _parse_mapping(data)


def _parse_mapping(data: Any) -> Mapping:
    if not isinstance(data, dict):
        raise InvalidMapping("mapping must be a JSON object with columns, values, defaults, key", field="mapping")
    unknown = sorted(set(data) - set(MAPPING_KEYS))
    if unknown:
        raise InvalidMapping(
            f"unknown mapping key(s) {', '.join(unknown)}; allowed: {', '.join(MAPPING_KEYS)}", field=unknown[0]
        )
    columns = data.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) and v for v in columns.values()):
        raise InvalidMapping(
            '"columns" must map each field to a CSV header: {"email": "Email Address"}', field="columns"
        )
    values = data.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise InvalidMapping('"values" must map each field to {csv value: our value}', field="values")
    parsed_values: dict[str, dict[str, str | None]] = {}
    for name, table in values.items():
        parsed_values[name] = {}
        for raw, ours in table.items():
            if ours is not None and not isinstance(ours, str | int | float):
                raise InvalidMapping(f'"values.{name}.{raw}" must be a string, a number or null', field=name)
            parsed_values[name][str(raw)] = None if ours is None else str(ours)
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise InvalidMapping('"defaults" must map fields to values: {"source": "import"}', field="defaults")
    key = data.get("key")
    if key is not None and key not in ("email", "external_id", "name"):
        raise InvalidMapping('"key" must be "email", "external_id" or "name" (accounts)', field="key")
    date_order = data.get("date_order")
    if date_order is not None and date_order not in DATE_ORDERS:
        raise InvalidMapping('"date_order" must be "dmy" (31/12/2024) or "mdy" (12/31/2024)', field="date_order")
    return Mapping(columns=dict(columns), values=parsed_values, defaults=dict(defaults), key=key, date_order=date_order)


def check_mapping_fields(mapping: Mapping, entity: str) -> None:
    """Raise InvalidMapping when the mapping names a field ``entity`` does not have."""
    if entity not in ENTITIES:
        raise InvalidMapping(f"unknown entity {entity!r}; use one of {', '.join(ENTITIES)}", field="entity")
    fields = FIELDS[entity]
    for section in ("columns", "values", "defaults"):
        for name in getattr(mapping, section):
            if name not in fields:
                raise InvalidMapping(
                    f'"{section}" names {name!r}, which is not an importable {entity} field '
                    f"(importable: {', '.join(fields)})",
                    field=name,
                )
    if mapping.key is not None and mapping.key not in KEYS[entity]:
        raise InvalidMapping(f'"key" for {entity} must be one of {", ".join(KEYS[entity])}', field="key")


@dataclass(frozen=True)
class ColumnPlan:
    """The mapping bound to one file's header: field → column index, the key, and ignored columns."""

    entity: str
    indexes: dict[str, int]
    key: str
    ignored: tuple[str, ...]
    header: tuple[str, ...]


def _norm_header(value: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", value.strip().casefold()).strip("_")


def bind_columns(mapping: Mapping, entity: str, header: list[str], *, explicit: bool) -> ColumnPlan:
    """Match the mapping to the file's header; raise InvalidImportFile naming any missing/unknown column."""
    check_mapping_fields(mapping, entity)
    fields = FIELDS[entity]
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        stripped = name.strip()
        if not stripped:
            continue
        if stripped in positions:
            raise InvalidImportFile(f"column {stripped!r} appears twice in the header (row 1)", row_number=1)
        positions[stripped] = i
    folded = {name.casefold(): i for name, i in positions.items()}
    indexes: dict[str, int] = {}
    for name, column in mapping.columns.items():
        found = positions.get(column.strip())
        if found is None:
            found = folded.get(column.strip().casefold())
        if found is None:
            raise InvalidImportFile(
                f"the mapping takes {name} from column {column!r}, which the file does not have "
                f"(its columns: {', '.join(positions) or 'none'})",
                field=name,
                row_number=1,
            )
        indexes[name] = found
    used = set(indexes.values())
    unknown: list[str] = []
    for column, i in positions.items():
        if i in used:
            continue
        candidate = _norm_header(column)
        if candidate in fields and candidate not in indexes:
            indexes[candidate] = i
        else:
            unknown.append(column)
    if unknown and not explicit:
        raise InvalidImportFile(
            f"unknown column(s) {', '.join(repr(c) for c in unknown)} in row 1; without a mapping every column must "
            f"be an importable {entity} field ({', '.join(fields)}) — pass a mapping to map or ignore columns",
            field=unknown[0],
            row_number=1,
        )
    key = mapping.key or _default_key(entity, indexes)
    if key not in indexes:
        raise InvalidImportFile(
            f"the upsert key {key!r} has no column in the file; map a column to {key} "
            f"(a {entity[:-1]} file needs {' or '.join(KEYS[entity])} to import without duplicates)",
            field=key,
            row_number=1,
        )
    return ColumnPlan(entity=entity, indexes=indexes, key=key, ignored=tuple(unknown), header=tuple(header))


def _default_key(entity: str, indexes: dict[str, int]) -> str:
    if entity == "leads" and "email" in indexes:
        return "email"
    if entity == "accounts":
        return "name"
    return "external_id"


SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("email_address", "e_mail", "mail"),
    "first_name": ("firstname", "given_name", "first"),
    "last_name": ("lastname", "surname", "family_name", "last"),
    "phone": ("phone_number", "telephone", "mobile"),
    "company": ("company_name", "organization", "organisation", "account"),
    "title": ("job_title", "position", "role"),
    "employee_count": ("employees", "headcount", "company_size"),
    "annual_revenue": ("revenue",),
    "external_id": ("id", "record_id"),
    "name": ("opportunity_name", "deal_name", "deal"),
    "account_name": ("account", "company"),
    "amount": ("value", "deal_value", "close_value"),
    "stage": ("deal_stage", "status"),
    "expected_close_date": ("close_date",),
    "owner_email": ("owner", "sales_rep_email"),
    "created_at": ("created", "created_date", "create_date"),
}


# Where a field's usual headers differ by entity (an account's name is its "Account" column).
ENTITY_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": {
        "name": ("account", "account_name", "company", "company_name", "organization"),
        "industry": ("sector",),
        "country": ("office_location", "location"),
    },
}


def suggest_columns(header: list[str], entity: str) -> dict[str, str]:
    """A starting ``columns`` mapping for the Import page: exact and common-synonym header matches."""
    fields = FIELDS[entity]
    synonyms = SYNONYMS | ENTITY_SYNONYMS.get(entity, {})
    by_norm = {_norm_header(h).replace("_", ""): h for h in header if h.strip()}
    suggestion: dict[str, str] = {}
    for name in fields:
        for candidate in (name, *synonyms.get(name, ())):
            candidate = candidate.replace("_", "")
            if candidate in by_norm and by_norm[candidate] not in suggestion.values():
                suggestion[name] = by_norm[candidate]
                break
    return suggestion
