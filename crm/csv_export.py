"""CSV export that spreadsheets cannot execute: formula-like cells are escaped.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a
single quote (OWASP "CSV injection"), so Excel, LibreOffice and Google Sheets show it as text.
Numbers are written as numbers (a negative amount stays ``-5``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """The value safe to put in a CSV cell (text that looks like a formula gets a leading ')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def iter_csv_lines(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> Iterator[str]:
    """The header and one escaped CSV line per row (for streaming responses)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    iterator = iter(rows)
    first: Mapping[str, Any] | None = None
    if columns is None:
        first = next(iterator, None)
        columns = list(first.keys()) if first is not None else []
    writer.writerow([escape_cell(c) for c in columns])
    yield _drain(buffer)
    if first is not None:
        writer.writerow([escape_cell(first.get(c)) for c in columns])
        yield _drain(buffer)
    for row in iterator:
        writer.writerow([escape_cell(row.get(c)) for c in columns])
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    value = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return value


def safe_csv_bytes(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> bytes:
    """The whole CSV (UTF-8 with BOM so Excel reads accents) with every cell escaped."""
    return ("\ufeff" + "".join(iter_csv_lines(rows, columns))).encode("utf-8")
