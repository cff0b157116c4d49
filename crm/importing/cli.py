"""``python -m crm import``: the command line of the CSV importer (one transaction, as the system actor)."""

from __future__ import annotations

import sys
from pathlib import Path

from core.db import get_engine, transaction
from crm.actors import SYSTEM_ACTOR
from crm.importing.engine import import_csv
from crm.importing.mapping import load_mapping
from crm.importing.report import ImportReport

ERRORS_SHOWN = 20


def import_command(
    *,
    entity: str,
    path: Path,
    mapping_path: Path | None,
    dry_run: bool,
    skip_bad_rows: bool,
    errors_path: Path | None,
) -> int:
    """Run an import from the command line; 0 = every row fine, 1 = some rows had errors (see the report)."""
    mapping = load_mapping(mapping_path) if mapping_path is not None else None
    show_progress = sys.stderr.isatty()

    def progress(done: int, total: int | None) -> None:
        if show_progress:
            share = f" ({min(done / total, 1):.0%})" if total else ""
            print(f"\r{done:,} rows{share}", end="", file=sys.stderr, flush=True)

    with transaction(get_engine()) as session:
        report = import_csv(
            session=session,
            actor=SYSTEM_ACTOR,
            entity=entity,
            source=path,
            mapping=mapping,
            dry_run=dry_run,
            skip_bad_rows=skip_bad_rows,
            progress=progress,
        )
    if show_progress:
        print(file=sys.stderr)
    _print_report(report)
    if errors_path is not None:
        errors_path.write_bytes(report.errors_csv())
        print(f"error report: {errors_path} ({report.error_count} errors)")
    return 0 if report.error_count == 0 else 1


def _print_report(report: ImportReport) -> None:
    for note in report.notes:
        print(f"note: {note}")
    for error in report.errors[:ERRORS_SHOWN]:
        print(f"  {error}", file=sys.stderr)
    if report.error_count > ERRORS_SHOWN:
        print(f"  … and {report.error_count - ERRORS_SHOWN} more (use --errors REPORT.csv)", file=sys.stderr)
    print(report.summary())
