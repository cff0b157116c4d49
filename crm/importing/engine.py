"""The import use case: stream a CSV in batches, validate every row, upsert in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from time import perf_counter
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from crm import audit
from crm.actors import Actor
from crm.errors import DomainError
from crm.importing.accounts import AccountWriter
from crm.importing.fields import FIELDS
from crm.importing.leads import LeadWriter
from crm.importing.mapping import (
    ColumnPlan,
    Mapping,
    bind_columns,
    check_mapping_fields,
    load_mapping,
)
from crm.importing.opportunities import OpportunityWriter
from crm.importing.report import ImportReport, RowError
from crm.importing.rows import BatchContext, Record, RowParser
from crm.importing.source import CsvSource, RecordReader, Source, open_source
from crm.importing.staging import raw_connection
from crm.importing.values import DateReader, day_month_evidence, is_day_month_date
from crm.permissions import editable_owner_ids, ensure_can_write

DEFAULT_BATCH_SIZE = 20_000
WRITERS: dict[str, type[LeadWriter] | type[OpportunityWriter] | type[AccountWriter]] = {
    "leads": LeadWriter,
    "opportunities": OpportunityWriter,
    "accounts": AccountWriter,
}
Progress = Callable[[int, int | None], None]
MappingSource = Mapping | dict[str, Any] | str | Path | None


class ImportFailed(DomainError):
    """The database refused part of the import; everything was rolled back."""


@dataclass
class ImportPreview:
    """The first rows of a file as the importer reads them (no database access)."""

    entity: str
    header: list[str]
    columns: dict[str, str]
    key: str
    ignored: list[str]
    rows: list[dict[str, Any]]
    errors: list[RowError]
    encoding: str
    notes: list[str] = field(default_factory=list)
    read_as: str = ""  # e.g. "UTF-8 text, columns separated by semicolons (;)"
    delimiter: str = ","


def preview(source: Source, mapping: MappingSource, entity: str, n: int = 20) -> ImportPreview:
    """Parse the first ``n`` data rows with ``mapping`` and show how each field is read and what is wrong."""
    parsed_mapping = load_mapping(mapping)
    check_mapping_fields(parsed_mapping, entity)
    src = open_source(source)
    try:
        reader = RecordReader(src)
        plan = bind_columns(parsed_mapping, entity, reader.header, explicit=mapping is not None)
        first = next(reader.batches(max(n, 1)), [])
        order, notes, _ = _decide_date_order(parsed_mapping, plan, first, reader, scan_rest=False)
        parser = RowParser(plan, parsed_mapping, DateReader(order))
        rows: list[dict[str, Any]] = []
        errors: list[RowError] = []
        seen: dict[str, int] = {}
        key_index = plan.indexes.get(plan.key)
        for row_number, cells in first[:n]:
            record, row_errors = parser.parse(row_number, cells)
            row_errors = list(row_errors)
            key_value = cells[key_index].strip() if key_index is not None and key_index < len(cells) else ""
            if key_value:  # the same key twice in the file: the import would refuse the second row
                earlier = seen.setdefault(key_value.casefold(), row_number)
                if earlier != row_number:
                    row_errors.append(
                        RowError(row_number, plan.key, key_value, f"duplicate {plan.key}: also in row {earlier}")
                    )
            errors.extend(row_errors)
            rows.append(_preview_row(row_number, cells, plan.indexes, record, row_errors))
        return ImportPreview(
            entity=entity,
            header=list(reader.header),
            columns={name: reader.header[i] for name, i in plan.indexes.items()},
            key=plan.key,
            ignored=list(plan.ignored),
            rows=rows,
            errors=errors,
            encoding=src.encoding,
            notes=[*src.notes, *notes],
            read_as=src.describe(),
            delimiter=src.delimiter,
        )
    finally:
        src.close()


def _preview_row(
    row_number: int, cells: list[str], indexes: dict[str, int], record: Record | None, errors: list[RowError]
) -> dict[str, Any]:
    """One preview line: each field as read, or the raw cell where it could not be read, and the row's problems."""
    values = dict(record.values) if record is not None else {}
    bad = {e.field for e in errors}
    row: dict[str, Any] = {"row_number": row_number}
    for name, index in indexes.items():
        raw = cells[index] if index < len(cells) else ""
        row[name] = raw if (record is None or name in bad) else values.get(name)
    row["problems"] = "; ".join(f"{e.field}: {e.reason}" if e.field else e.reason for e in errors)
    return row


def import_csv(
    *,
    session: Session,
    actor: Actor,
    entity: str,
    source: Source,
    mapping: MappingSource = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ImportReport:
    """Import leads, opportunities or accounts from a CSV; all-or-nothing unless ``skip_bad_rows``; dry runs roll back.

    It runs in a savepoint of the caller's transaction, released when kept; the caller commits.
    ``SYSTEM_ACTOR`` (the command line) imports as nobody in particular: no owner or history actor.
    File-level problems (empty, undecodable, malformed, unknown or missing columns) raise
    InvalidImportFile / InvalidMapping before anything is kept.
    """
    started = perf_counter()
    parsed_mapping = load_mapping(mapping)
    check_mapping_fields(parsed_mapping, entity)
    src = open_source(source)
    report = ImportReport(
        entity=entity, dry_run=dry_run, skip_bad_rows=skip_bad_rows, encoding=src.encoding, notes=list(src.notes)
    )
    try:
        reader = RecordReader(src)
        plan = bind_columns(parsed_mapping, entity, reader.header, explicit=mapping is not None)
        if plan.ignored:
            report.notes.append(f"columns not imported: {', '.join(plan.ignored)}")
        batches = reader.batches(batch_size)
        first = next(batches, [])
        order, notes, scanned = _decide_date_order(parsed_mapping, plan, first, reader, scan_rest=True)
        report.notes.extend(notes)
        if scanned:
            reader = RecordReader(src)  # the whole file was scanned for dates: read it again from the top
            batches = reader.batches(batch_size)
            first = next(batches, [])
        parser = RowParser(plan, parsed_mapping, DateReader(order))
        ensure_can_write(actor)
        acting = None if actor.is_system else actor
        with _savepoint(session):
            ctx = _context(session, report, plan, parser, acting)
            writer = WRITERS[entity](ctx)
            with _database_errors():
                try:
                    for batch in chain([first] if first else [], batches):
                        records: list[Record] = []
                        for row_number, cells in batch:
                            record, errors = parser.parse(row_number, cells)
                            if record is None:
                                ctx.reject(errors)
                            else:
                                records.append(record)
                        report.rows_read += len(batch)
                        if records:
                            writer.write(records)
                        if progress is not None:
                            progress(report.rows_read, _estimate_total(report.rows_read, reader, src))
                finally:
                    writer.finish()
            if report.rows_read == 0:
                report.notes.append("the file has a header but no data rows")
            keep = not dry_run and (skip_bad_rows or report.error_count == 0)
            if keep:
                audit.record(
                    session,
                    actor=acting,
                    entity_type="import",
                    entity_id=uuid.uuid4(),
                    action=f"import_{entity}",
                    changes={
                        "rows_read": report.rows_read,
                        "inserted": report.inserted,
                        "updated": report.updated,
                        "unchanged": report.unchanged,
                        "rows_rejected": report.rows_rejected,
                    },
                )
            report.committed = keep
            if not keep:
                raise _RollBack
    except _RollBack:
        pass
    finally:
        src.close()
    if progress is not None:
        progress(report.rows_read, report.rows_read)
    report.seconds = perf_counter() - started
    return report


class _RollBack(Exception):
    """Internal: leave the unit of work without keeping its changes."""


@contextmanager
def _savepoint(session: Session) -> Iterator[Session]:
    savepoint = session.begin_nested()
    try:
        yield session
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()


def _context(
    session: Session, report: ImportReport, plan: ColumnPlan, parser: RowParser, actor: Actor | None
) -> BatchContext:
    conn = raw_connection(session)
    ctx = BatchContext(
        session=session,
        conn=conn,
        report=report,
        plan=plan,
        defaults=parser.defaults,
        actor=actor,
        editable_owners=editable_owner_ids(session=session, actor=actor) if actor is not None else None,
        now=datetime.now(UTC),
    )
    with conn.cursor() as cur:
        cur.execute("SELECT lower(email), id, territory_id FROM users WHERE is_active")
        for email, user_id, territory_id in cur.fetchall():
            ctx.users[email] = user_id
            ctx.user_territories[user_id] = territory_id
    return ctx


@contextmanager
def _database_errors() -> Iterator[None]:
    """Turn a refusal by the database (a concurrent writer, a rule we did not foresee) into ImportFailed."""
    try:
        yield
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
        detail = str(exc).strip().splitlines()[0]
        raise ImportFailed(
            f"the database refused the import ({detail}); nothing was imported. "
            "Another writer may have changed the same records at the same time: try again."
        ) from None


def _estimate_total(rows_read: int, reader: RecordReader, src: CsvSource) -> int | None:
    if not src.size or not reader.bytes_read:
        return None
    return max(rows_read, round(rows_read * src.size / reader.bytes_read))


def _decide_date_order(
    mapping: Mapping,
    plan: ColumnPlan,
    first: list[tuple[int, list[str]]],
    reader: RecordReader,
    *,
    scan_rest: bool,
) -> tuple[str, list[str], bool]:
    """How to read 03/04/2024 in this file, notes saying why, and whether the rest of the file was read.

    The mapping's ``date_order`` wins; else values that can be read only one way decide (the first batch,
    then the whole file when the first batch does not settle it); else day first, with a note.
    """
    if mapping.date_order:
        return mapping.date_order, [], False
    specs = FIELDS[plan.entity]
    columns = [i for name, i in plan.indexes.items() if specs[name].kind in ("date", "datetime")]
    if not columns:
        return "dmy", [], False
    evidence: set[str] = set()
    seen = _scan_dates(first, columns, evidence)
    if not seen:
        return "dmy", [], False
    notes: list[str] = []
    scanned = False
    if len(evidence) != 1 and scan_rest:
        scanned = True
        for batch in reader.batches(DEFAULT_BATCH_SIZE):
            _scan_dates(batch, columns, evidence)
            if len(evidence) == 2:
                break
    if evidence == {"dmy"}:
        notes.append("dates like 03/04/2017 were read as DD/MM/YYYY (values such as 31/01 prove day first)")
        return "dmy", notes, scanned
    if evidence == {"mdy"}:
        notes.append("dates like 03/04/2017 were read as MM/DD/YYYY (values such as 01/31 prove month first)")
        return "mdy", notes, scanned
    if evidence:
        notes.append("the file mixes DD/MM/YYYY and MM/DD/YYYY dates: ambiguous ones are reported as errors")
        return "mixed", notes, scanned
    notes.append(
        'no date in the file tells day from month; dates like 03/04/2017 were read as DD/MM/YYYY (set "date_order": '
        '"mdy" in the mapping for month first)'
    )
    return "dmy", notes, scanned


def _scan_dates(batch: list[tuple[int, list[str]]], columns: list[int], evidence: set[str]) -> bool:
    seen = False
    for _row_number, cells in batch:
        for i in columns:
            if i < len(cells) and cells[i] and is_day_month_date(cells[i]):
                seen = True
                found = day_month_evidence(cells[i])
                if found is not None:
                    evidence.add(found)
    return seen
