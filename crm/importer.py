"""``python -m crm import``: the command-line entry point of the CSV importer (engine in crm.importing)."""

from __future__ import annotations

import sys
from pathlib import Path

from crm.importing import (
    ENTITIES,
    FIELDS,
    KEYS,
    ImportFailed,
    ImportPreview,
    ImportReport,
    InvalidImportFile,
    InvalidMapping,
    Mapping,
    RowError,
    import_csv,
    load_mapping,
    preview,
    suggest_columns,
)

__all__ = [
    "ENTITIES",
    "FIELDS",
    "KEYS",
    "ImportFailed",
    "ImportPreview",
    "ImportReport",
    "InvalidImportFile",
    "InvalidMapping",
    "Mapping",
    "RowError",
    "import_command",
    "import_csv",
    "load_mapping",
    "preview",
    "suggest_columns",
]

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
    from core.db import get_engine

    mapping = load_mapping(mapping_path) if mapping_path is not None else None
    show_progress = sys.stderr.isatty()

    def progress(done: int, total: int | None) -> None:
        if show_progress:
            share = f" ({min(done / total, 1):.0%})" if total else ""
            print(f"\r{done:,} rows{share}", end="", file=sys.stderr, flush=True)

    report = import_csv(
        engine_or_session=get_engine(),
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
