"""How values are shown to people — the one formatting layer for tables, charts and CSV downloads.

Dates read ``2026-09-05`` (never with a time of day), timestamps ``2026-09-05 14:03 UTC``, money
``$12,500`` (USD, the warehouse's reporting currency), rates and probabilities as percentages,
stored domain values and column names through the labels in ``models/domain.py``, and nothing is
ever shown as ``None``/``nan``: a missing value is an em dash on screen and a blank cell in a CSV.
Pure functions (no Streamlit) so they are unit-tested directly; ``ui.dashboards`` draws with them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from models.domain import CODED_COLUMNS, DOMAIN_VALUES, OPEN_STAGES, column_label, title_case, value_label

__all__ = [
    "ColumnFormat",
    "column_format",
    "column_label",
    "csv_bytes",
    "day",
    "display_frame",
    "escape",
    "moment",
    "money",
    "money_short",
    "percent",
    "plural",
    "record_link",
    "title_case",
    "value_label",
]

MISSING = "—"
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
_RATE_WORDS = ("rate", "share", "attainment", "stage_conversion", "wape", "bias", "coverage_")
_MONEY_WORDS = (
    "amount",
    "quota",
    "deal_size",
    "velocity",
    "actual",
    "forecast",
    "quarter_",
    "expected_won",
    "pipeline",
)
_MONEY_NAMES = ("p10", "p50", "p90", "mean")  # forecast quantiles of won value
_RATIO_NAMES = ("coverage", "pipeline_to_quota")  # pipeline ÷ quota: 3.0× is healthy
_DATE_SUFFIXES = ("_on", "_date", "as_of", "horizon_end")
# Shown first: the record link, then the first of IDENTITY present (what the row is), then KEY_COLUMNS
# in this order (what people act on), then the rest as the metric returned them.
IDENTITY = (
    "step", "label", "snapshot_on", "cohort_month", "name", "full_name", "owner_name", "lost_reason", "method", "model",
)  # fmt: skip
KEY_COLUMNS = (
    "stage", "status", "amount", "days_in_stage", "quota_attainment", "won_amount", "expected_close_on",
    "close_overdue", "win_probability",
)  # fmt: skip
LONG_TEXT = ("reasons", "model_reasons", "name", "account_name", "label")


def escape(text: object) -> str:
    """``text`` with every Markdown special character escaped, so names always show as plain text."""
    if text is None:
        return ""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(amount: Decimal | float | int | None, currency: str | None = "USD") -> str:
    """``12,500.00 USD``; an em dash when unknown."""
    if _missing(amount):
        return MISSING
    return f"{Decimal(str(amount)):,.2f} {currency or ''}".strip()


def money_short(amount: Decimal | float | int | None, currency: str | None = "USD") -> str:
    """``50,000 USD`` for whole amounts, ``12,500.50 USD`` otherwise (for headline figures)."""
    if _missing(amount):
        return MISSING
    value = Decimal(str(amount))
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{text} {currency or ''}".strip()


def moment(value: datetime | None) -> str:
    """A UTC timestamp as ``2026-11-28 18:44 UTC``; an em dash when missing."""
    if value is None:
        return MISSING
    return value.strftime("%Y-%m-%d %H:%M UTC")


def day(value: date | None) -> str:
    """A date as ``2026-11-28`` (a timestamp loses its time of day); an em dash when missing."""
    if value is None:
        return MISSING
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


def percent(value: float | None, digits: int = 0) -> str:
    """A share 0–1 as ``42%`` (``digits`` decimals); an em dash when unknown."""
    return MISSING if _missing(value) else f"{value:.{digits}%}"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 deal``, ``2 deals``, ``1,204 leads`` (``many`` for irregular plurals)."""
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"


def record_link(table: str, record_id: object) -> str:
    """The app URL that opens one record: ``/opportunities?id=<uuid>`` or ``/leads?id=<uuid>``."""
    return f"/{table}?id={record_id}"


@dataclass(frozen=True)
class ColumnFormat:
    """How one column is shown: its kind (money, percent, date …), header, and whether it is hidden."""

    name: str
    kind: str
    label: str

    @property
    def hidden(self) -> bool:
        return self.kind == "hidden"


def _is_probability(name: str) -> bool:
    return name.startswith("p_") or name.endswith("probability") or name.endswith("_chance")


def column_format(name: str, dtype: pl.DataType, columns: tuple[str, ...] = ()) -> ColumnFormat:
    """The kind and header of column ``name`` (of type ``dtype``, in a frame with ``columns``)."""
    numeric = dtype.is_numeric()
    if (
        (name == "key" and "label" in columns)
        or name.endswith("_id")
        or name.endswith("_small_sample")
        or name in ("dimension", "stage_order", "unit")
        or (name.endswith(("_low", "_high")) and f"{name.rsplit('_', 1)[0]}_interval" in columns)
    ):
        kind = "hidden"
    elif name == "open":
        kind = "link"
    elif dtype == pl.Date or (not numeric and name.endswith(_DATE_SUFFIXES)):
        kind = "date"
    elif isinstance(dtype, pl.Datetime):
        kind = "timestamp"
    elif dtype == pl.Boolean:
        kind = "yes_no"
    elif numeric and name in _RATIO_NAMES:
        kind = "ratio"
    elif numeric and (_is_probability(name) or any(w in name for w in _RATE_WORDS)):
        kind = "percent"
    elif numeric and "days" not in name and not name.startswith("count") and (
        name in _MONEY_NAMES or any(w in name for w in _MONEY_WORDS)
    ):  # fmt: skip
        kind = "money"
    elif numeric and ("days" in name or name == "days"):
        kind = "days"
    elif numeric and (dtype.is_integer() or name.startswith("count_")):
        kind = "count"
    elif name == "score" and numeric:
        kind = "score"
    elif numeric:
        kind = "number"
    elif name in CODED_COLUMNS:
        kind = "coded"
    else:
        kind = "text"
    return ColumnFormat(name=name, kind=kind, label=column_label(name))


def cell_text(value: Any, kind: str) -> str:
    """One value as on-screen text for a column of ``kind``; an em dash when missing."""
    if _missing(value):
        return MISSING
    if kind == "date":
        return day(value) if isinstance(value, date) else str(value)[:10]
    if kind == "timestamp":
        return moment(value)
    if kind == "yes_no":
        return "Yes" if value else "No"
    if kind == "percent":
        return percent(value, 1)
    if kind == "money":
        return f"{'-' if value < 0 else ''}${abs(value):,.0f}"
    if kind == "days":
        return f"{value:,.1f}"
    if kind == "ratio":
        return f"{value:,.1f}×"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "score":
        return f"{value:.0f}"
    if kind == "number":
        return f"{value:,.3f}"
    if kind == "coded":
        return value_label(value, coded=True)
    text = str(value)
    return value_label(text) if text in DOMAIN_VALUES else text


def _with_intervals(frame: pl.DataFrame) -> pl.DataFrame:
    """Each ``x_low``/``x_high`` pair of a rate becomes one readable ``x_interval`` column ("12.0–18.5%")."""
    added = []
    for name in frame.columns:
        if name.endswith("_low") and f"{name[:-4]}_high" in frame.columns and f"{name[:-4]}" in frame.columns:
            base = name[:-4]
            added.append(
                pl.struct(pl.col(f"{base}_low").alias("low"), pl.col(f"{base}_high").alias("high"))
                .map_elements(
                    lambda r: MISSING if r["low"] is None else f"{r['low']:.1%}–{r['high']:.1%}",
                    return_dtype=pl.String,
                )
                .alias(f"{base}_interval")
            )
    if not added:
        return frame
    order: list[str] = []
    for name in frame.columns:
        order.append(name)
        if f"{name}_low" in frame.columns and f"{name}_high" in frame.columns:
            order.append(f"{name}_interval")
    return frame.with_columns(added).select(order)


def _with_overdue(frame: pl.DataFrame, today: date) -> pl.DataFrame:
    """Open deals whose expected close date has passed get "Overdue" in a ``close_overdue`` column."""
    if "expected_close_on" not in frame.columns or frame.schema["expected_close_on"] != pl.Date:
        return frame
    if "stage" in frame.columns:
        is_open = pl.col("stage").is_in(list(OPEN_STAGES))
    elif "is_open_at_end" in frame.columns:
        is_open = pl.col("is_open_at_end")
    else:
        is_open = pl.lit(True)
    overdue = is_open.fill_null(False) & (pl.col("expected_close_on") < pl.lit(today))
    if not frame.select(overdue.any()).item():
        return frame  # no column of blanks when nothing is overdue
    return frame.with_columns(pl.when(overdue).then(pl.lit("⚠ Overdue")).otherwise(pl.lit("")).alias("close_overdue"))


def _with_links(frame: pl.DataFrame) -> pl.DataFrame:
    """A first ``open`` column linking each row to its record (deal, else lead)."""
    for column, table in (("opportunity_id", "opportunities"), ("lead_id", "leads")):
        if column in frame.columns:
            link = pl.concat_str([pl.lit(f"/{table}?id="), pl.col(column).cast(pl.String)])
            return frame.with_columns(link.alias("open"))
    return frame


def _key_first(frame: pl.DataFrame) -> pl.DataFrame:
    identity = [c for c in IDENTITY if c in frame.columns][:1]
    first = [c for c in ("open", *identity, *KEY_COLUMNS) if c in frame.columns]
    return frame.select(first + [c for c in frame.columns if c not in first])


def display_frame(frame: pl.DataFrame, *, today: date | None = None) -> tuple[pl.DataFrame, list[ColumnFormat]]:
    """The frame as a table shows it, with each column's format (hidden ones included, for selection).

    Adds a link to each record, a readable 95% interval per rate, an overdue flag on open deals past
    their close date; puts the key columns first; turns dates, timestamps, yes/no and coded values into
    text; and a numeric column with a missing value into text with an em dash (so nothing reads None).
    Percentages are scaled to 0–100 so the table can show ``42.0%``.
    """
    today = today or datetime.now().date()
    shown = _key_first(_with_links(_with_overdue(_with_intervals(frame), today)))
    formats = [column_format(name, dtype, tuple(shown.columns)) for name, dtype in shown.schema.items()]
    exprs = []
    for fmt in formats:
        column = pl.col(fmt.name)
        dtype = shown.schema[fmt.name]
        if fmt.hidden or fmt.kind == "link":
            continue
        has_missing = shown.height > 0 and (
            shown[fmt.name].null_count() > 0 or (dtype.is_float() and shown[fmt.name].is_nan().any())
        )
        if fmt.kind in ("date", "timestamp", "yes_no", "coded", "text") or has_missing:
            kind = fmt.kind
            exprs.append(column.map_elements(lambda v, k=kind: cell_text(v, k), return_dtype=pl.String,
                                             skip_nulls=False).alias(fmt.name))  # fmt: skip
        elif fmt.kind == "percent":
            exprs.append((column * 100).round(1))
        elif fmt.kind in ("days", "ratio", "number"):
            exprs.append(column.round(3 if fmt.kind == "number" else 1))
    return (shown.with_columns(exprs) if exprs else shown), formats


_CSV_UNITS = {"money": " (USD)", "percent": " (%)", "timestamp": " (UTC)"}


def _csv_value(value: Any, kind: str) -> Any:
    if _missing(value):
        return None
    if kind == "money":
        return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if kind == "percent":
        return (Decimal(str(value)) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    if kind in ("days", "ratio"):
        return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    if kind == "number":
        return Decimal(str(value)).quantize(Decimal("0.001"), ROUND_HALF_UP)
    if kind in ("count", "score"):
        return round(value)
    if kind == "date":
        return day(value) if isinstance(value, date) else str(value)[:10]
    if kind == "timestamp":
        return value.strftime("%Y-%m-%d %H:%M")
    if kind == "yes_no":
        return "Yes" if value else "No"
    return cell_text(value, kind)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """A download of ``frame``: human headers (with units), plain numbers (money to the cent), labels, ISO dates.

    Identifiers are kept (as "Opportunity ID" …) so a row can be matched to its record; cells that
    look like spreadsheet formulas are escaped by ``crm.csv_export``.
    """
    from crm.csv_export import safe_csv_bytes

    formats = [column_format(name, dtype, tuple(frame.columns)) for name, dtype in frame.schema.items()]
    kept = [f for f in formats if not (f.hidden and not f.name.endswith(("_id", "_low", "_high")))]
    headers = []
    for fmt in kept:
        unit = _CSV_UNITS.get(fmt.kind, "")
        label = column_label(fmt.name)
        if fmt.name.endswith(("_low", "_high")):
            base = fmt.name.rsplit("_", 1)[0]
            label = f"{column_label(base)}, 95% {'low' if fmt.name.endswith('_low') else 'high'}"
            unit = " (%)"
        headers.append(label + ("" if label.endswith(unit.strip()) else unit))
    rows = (
        {h: _csv_value(v, "percent" if f.name.endswith(("_low", "_high")) else f.kind) for h, f, v in
         zip(headers, kept, (row[f.name] for f in kept), strict=True)}
        for row in frame.iter_rows(named=True)
    )  # fmt: skip
    return safe_csv_bytes(rows, headers)
