"""The outcome of an import: counts, per-row errors and a downloadable error report."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

MAX_LISTED_ERRORS = 100_000  # errors beyond this are counted, not listed (memory stays bounded)
MAX_VALUE_IN_REPORT = 200  # characters of an offending value kept in the report
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowError:
    """One problem in one row: ``row_number`` counts the header as row 1, as a spreadsheet does."""

    row_number: int
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row_number}" if self.row_number else "file"
        return f"{where}, {self.field or 'row'}: {self.reason}"


@dataclass
class ImportReport:
    """What an import read, wrote (or would write) and rejected."""

    entity: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    rows_rejected: int = 0
    committed: bool = False
    dry_run: bool = False
    skip_bad_rows: bool = False
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)
    accounts_created: int = 0
    leads_converted: int = 0
    history_rows: int = 0
    seconds: float = 0.0

    def add_error(self, error: RowError) -> None:
        """Record one row error (listed up to MAX_LISTED_ERRORS, always counted)."""
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(error)

    def summary(self, *, skip_hint: str = "use --skip-bad-rows") -> str:
        """One line a person can read: what happened and whether it was kept (``skip_hint`` names the control)."""
        verb = "would insert" if not self.committed else "inserted"
        parts = [
            f"{self.rows_read} rows read",
            f"{verb} {self.inserted}",
            f"updated {self.updated}",
            f"unchanged {self.unchanged}",
            f"{self.rows_rejected} bad rows ({self.error_count} errors)",
        ]
        if self.committed:
            state = "committed"
        elif self.dry_run:
            state = "dry run: nothing changed"
        else:
            state = f"rolled back: nothing changed (fix the errors or {skip_hint})"
        return f"{self.entity}: " + ", ".join(parts) + f" — {state}"

    def errors_csv(self) -> bytes:
        """The error report as CSV bytes (UTF-8 with BOM for spreadsheets; formula cells escaped)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["row_number", "field", "value", "reason"])
        for error in self.errors:
            writer.writerow(
                [error.row_number, _safe_cell(error.field), _safe_cell(_shorten(error.value)), _safe_cell(error.reason)]
            )
        if self.error_count > len(self.errors):
            writer.writerow(["", "", "", f"{self.error_count - len(self.errors)} more errors not listed"])
        return buffer.getvalue().encode("utf-8-sig")


def _shorten(value: str) -> str:
    if len(value) <= MAX_VALUE_IN_REPORT:
        return value
    return value[:MAX_VALUE_IN_REPORT] + f"… ({len(value)} characters)"


def _safe_cell(value: str) -> str:
    """Prefix cells a spreadsheet would run as a formula with a quote (CSV injection)."""
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
