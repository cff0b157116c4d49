"""How values are shown to people: Title Case domain values, money, times, and safe plain text."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from models.domain import title_case

__all__ = ["day", "escape", "moment", "money", "money_short", "title_case"]

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape(text: object) -> str:
    """``text`` with every Markdown special character escaped, so names always show as plain text."""
    if text is None:
        return ""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def money(amount: Decimal | float | int | None, currency: str | None = "USD") -> str:
    """``12,500.00 USD``; an em dash when unknown."""
    if amount is None:
        return "—"
    return f"{Decimal(amount):,.2f} {currency or ''}".strip()


def money_short(amount: Decimal | float | int | None, currency: str | None = "USD") -> str:
    """``50,000 USD`` for whole amounts, ``12,500.50 USD`` otherwise (for headline figures)."""
    if amount is None:
        return "—"
    value = Decimal(amount)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{text} {currency or ''}".strip()


def moment(value: datetime | None) -> str:
    """A UTC timestamp as ``2026-11-28 18:44 UTC``."""
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def day(value: date | None) -> str:
    """A date as ``2026-11-28``; an em dash when missing."""
    return value.isoformat() if value else "—"
