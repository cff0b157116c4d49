"""The replicated tables, declared once: name, primary key, cursor; columns come from ``models``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from models import tables as _tables  # noqa: F401 - registers the tables on Base.metadata
from models.base import Base


@dataclass(frozen=True)
class Column:
    """One replicated column: its PostgreSQL type (``udt_name``) and its DuckDB type."""

    name: str
    pg_type: str
    duck_type: str
    scale: int | None = None  # numeric columns: digits after the point (sent as a scaled integer)


@dataclass(frozen=True)
class TableSpec:
    """A table copied from PostgreSQL: extracted incrementally by ``cursor``, merged on ``primary_key``."""

    name: str
    primary_key: str = "id"
    cursor: str = "updated_at"
    exclude: tuple[str, ...] = ()
    columns: tuple[Column, ...] = field(default=(), compare=False)

    @property
    def raw_table(self) -> str:
        """The replicated copy in the ETL work file."""
        return f"raw_{self.name}"


def _column(name: str, sa_type: object) -> Column:
    if isinstance(sa_type, UUID):
        return Column(name, "uuid", "UUID")
    if isinstance(sa_type, JSONB):
        return Column(name, "jsonb", "VARCHAR")
    if isinstance(sa_type, Numeric):
        return Column(name, "numeric", f"DECIMAL({sa_type.precision}, {sa_type.scale})", scale=sa_type.scale)
    if isinstance(sa_type, DateTime):
        return Column(name, "timestamptz" if sa_type.timezone else "timestamp", "TIMESTAMPTZ")
    if isinstance(sa_type, Date):
        return Column(name, "date", "DATE")
    if isinstance(sa_type, Boolean):
        return Column(name, "bool", "BOOLEAN")
    if isinstance(sa_type, BigInteger):
        return Column(name, "int8", "BIGINT")
    if isinstance(sa_type, Integer):
        return Column(name, "int4", "INTEGER")
    if isinstance(sa_type, Text):
        return Column(name, "text", "VARCHAR")
    if isinstance(sa_type, String):
        return Column(name, "varchar", "VARCHAR")
    raise TypeError(f"no warehouse type for column {name} ({sa_type!r})")


def declare(
    name: str, *, primary_key: str = "id", cursor: str = "updated_at", exclude: tuple[str, ...] = ()
) -> TableSpec:
    """A TableSpec whose columns are the model's columns minus ``exclude``."""
    table = Base.metadata.tables[name]
    columns = tuple(_column(c.name, c.type) for c in table.columns if c.name not in exclude)
    return TableSpec(name=name, primary_key=primary_key, cursor=cursor, exclude=exclude, columns=columns)


# Order matters only for readability; every table is read in one PostgreSQL snapshot.
TABLES: tuple[TableSpec, ...] = (
    declare("territories"),
    declare("teams"),
    declare("users", exclude=("password_hash", "last_login_at")),
    declare("accounts"),
    declare("leads"),
    declare("opportunities"),
    declare("opportunity_stage_history"),
    declare("quotas"),
)
TOMBSTONES = "deleted_records"


def spec_fingerprint(specs: tuple[TableSpec, ...] = TABLES) -> str:
    """A digest of the declared tables and columns; a change forces a full refresh."""
    text = ";".join(
        f"{s.name}:{s.primary_key}:" + ",".join(f"{c.name} {c.duck_type}" for c in s.columns) for s in specs
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]
