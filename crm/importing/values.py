"""Cell parsers: each turns one trimmed, non-blank CSV cell into a typed value or raises ValueError(reason)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from crm.importing.fields import FieldSpec

CENT = Decimal("0.01")
MONEY_LIMITS: dict[str, Decimal] = {
    "amount": Decimal("1e12"),
    "annual_revenue": Decimal("1e14"),
    "annual_revenue_millions": Decimal("1e8"),
}
INT_MAX = 2_147_483_647
EMAIL_SHAPE = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"'.][^@\s,;<>\"']*$")
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
# 31/12/2024, 12-31-2024, 31.12.2024 with an optional time "10:00", "10:00:05", "10:00 PM"
DAY_MONTH = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp][Mm])?)?$"
)
YEAR_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
DATE_FORMATS_HELP = "use YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], DD/MM/YYYY or MM/DD/YYYY"


def day_month_evidence(raw: str) -> str | None:
    """'dmy' or 'mdy' when a slash date can be read only one way, else None."""
    m = DAY_MONTH.match(raw.strip())
    if not m:
        return None
    first, second = int(m.group(1)), int(m.group(3))
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return None


def is_day_month_date(raw: str) -> bool:
    """Whether ``raw`` looks like a DD/MM/YYYY or MM/DD/YYYY date (the ambiguous family)."""
    return DAY_MONTH.match(raw.strip()) is not None


class DateReader:
    """Parses dates and timestamps of one file; ``order`` decides 03/04/2024 ('dmy', 'mdy' or 'mixed')."""

    def __init__(self, order: str) -> None:
        self.order = order
        self._cache: dict[str, datetime] = {}

    def to_datetime(self, raw: str) -> datetime:
        """A UTC timestamp; values without a zone are taken as UTC, dates as midnight UTC."""
        cached = self._cache.get(raw)
        if cached is not None:
            return cached
        value = self._parse(raw)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[raw] = value
        return value

    def to_date(self, raw: str) -> date:
        """A calendar date (a time part, if any, is dropped)."""
        return self.to_datetime(raw).date()

    def _parse(self, raw: str) -> datetime:
        if raw[:4].isdigit() and len(raw) >= 8 and raw[4] == "-":
            try:
                value = datetime.fromisoformat(raw.replace(" UTC", "+00:00"))
            except ValueError:
                raise ValueError(f"not a valid date/time {raw!r} ({DATE_FORMATS_HELP})") from None
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        m = YEAR_SLASH.match(raw)
        if m:
            y, mo, d, hh, mm, ss = m.groups()
            return _build(int(y), int(mo), int(d), hh, mm, ss, None, raw)
        m = DAY_MONTH.match(raw)
        if m:
            a, _sep, b, y, hh, mm, ss, ampm = m.groups()
            first, second = int(a), int(b)
            if first > 12 or (self.order == "dmy" and second <= 12):
                day, month = first, second
            elif second > 12 or self.order == "mdy":
                day, month = second, first
            else:
                raise ValueError(
                    f"ambiguous date {raw!r}: the file has both DD/MM and MM/DD dates, so day and month "
                    'cannot be told apart; use YYYY-MM-DD or set "date_order" in the mapping'
                )
            return _build(int(y), month, day, hh, mm, ss, ampm, raw)
        raise ValueError(f"not a valid date/time {raw!r} ({DATE_FORMATS_HELP})")


def _build(
    year: int, month: int, day: int, hh: str | None, mm: str | None, ss: str | None, ampm: str | None, raw: str
) -> datetime:
    hour = int(hh) if hh else 0
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError(f"not a valid time in {raw!r}")
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    try:
        return datetime.combine(date(year, month, day), time(hour, int(mm or 0), int(ss or 0)), tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"not a valid date {raw!r} ({exc})") from None


def parse_text(raw: str, spec: FieldSpec) -> str:
    """Trimmed text within the column's length."""
    if spec.max_length is not None and len(raw) > spec.max_length:
        raise ValueError(f"too long: {len(raw)} characters, at most {spec.max_length}")
    if "\x00" in raw:
        raise ValueError("contains a NUL character")
    return raw


def parse_email(raw: str, spec: FieldSpec) -> str:
    """An email address of a plausible shape (no DNS look-up)."""
    if spec.max_length is not None and len(raw) > spec.max_length:
        raise ValueError(f"too long: {len(raw)} characters, at most {spec.max_length}")
    if not EMAIL_SHAPE.match(raw):
        raise ValueError("not a valid email address")
    return raw


def _number(raw: str) -> Decimal:
    text = raw.replace(" ", "").replace("\u00a0", "")
    if text and text[0] in CURRENCY_SYMBOLS:
        text = text[1:]
    if "," in text:
        if not THOUSANDS.match(text):
            raise ValueError(f"not a number {raw!r} (use 1234.56; commas only as thousands separators)")
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a number {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a number {raw!r}")
    return value


def make_money(field_name: str) -> Callable[[str, FieldSpec], Decimal]:
    """A parser for a non-negative amount of money, rounded to cents."""
    limit = MONEY_LIMITS.get(field_name, Decimal("1e12"))

    def parse_money(raw: str, spec: FieldSpec) -> Decimal:
        value = _number(raw)
        if value < 0:
            raise ValueError(f"must not be negative (got {raw})")
        if value >= limit:
            raise ValueError(f"too large (got {raw}; at most {limit:,.0f})")
        return value.quantize(CENT, rounding=ROUND_HALF_UP)

    return parse_money


def parse_int(raw: str, spec: FieldSpec) -> int:
    """A non-negative whole number ("500", "500.0" and "1,000" are accepted)."""
    if raw.isdigit():
        value = int(raw)
    else:
        number = _number(raw)
        if number != number.to_integral_value():
            raise ValueError(f"must be a whole number (got {raw})")
        value = int(number)
    if value < 0:
        raise ValueError(f"must not be negative (got {raw})")
    if value > INT_MAX:
        raise ValueError(f"too large (got {raw})")
    return value


def parse_score(raw: str, spec: FieldSpec) -> int:
    """A whole number from 0 to 100."""
    value = parse_int(raw, spec)
    if value > 100:
        raise ValueError(f"must be between 0 and 100 (got {raw})")
    return value


def parse_percent(raw: str, spec: FieldSpec) -> Decimal:
    """A percentage 0–100 ("75" or "75%")."""
    value = _number(raw.rstrip().removesuffix("%"))
    if not 0 <= value <= 100:
        raise ValueError(f"must be a percentage between 0 and 100 (got {raw})")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_currency(raw: str, spec: FieldSpec) -> str:
    """A three-letter ISO currency code (or $ € £ ¥)."""
    code = CURRENCY_SYMBOLS.get(raw, raw.upper())
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError(f"not a three-letter currency code (got {raw!r})")
    return code


def normalize_choice(raw: str) -> str:
    """'Closed Won', 'closed-won' and 'CLOSED_WON' all become 'closed_won'."""
    return re.sub(r"[\s\-]+", "_", raw.strip().casefold())


def make_enum(spec: FieldSpec) -> Callable[[str, FieldSpec], str]:
    """A parser accepting the domain values case-insensitively."""
    allowed = {c: c for c in spec.choices}

    def parse_enum(raw: str, spec: FieldSpec) -> str:
        value = allowed.get(raw) or allowed.get(normalize_choice(raw))
        if value is None:
            raise ValueError(f'unknown value {raw!r}; use one of {", ".join(spec.choices)} or map it under "values"')
        return value

    return parse_enum


def make_parser(field_name: str, spec: FieldSpec, dates: DateReader) -> Callable[[str, FieldSpec], Any]:
    """The parser for one field."""
    kind = spec.kind
    if kind == "text":
        return parse_text
    if kind == "email":
        return parse_email
    if kind == "int":
        return parse_int
    if kind == "score":
        return parse_score
    if kind == "money":
        return make_money(field_name)
    if kind == "percent":
        return parse_percent
    if kind == "currency":
        return parse_currency
    if kind == "enum":
        return make_enum(spec)
    if kind == "datetime":
        return lambda raw, spec: dates.to_datetime(raw)
    if kind == "date":
        return lambda raw, spec: dates.to_date(raw)
    raise AssertionError(kind)
