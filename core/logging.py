"""Structured JSON logs: one object per line, a request or run id on every line, inputs sanitized.

Call ``configure_logging()`` once at process start (app, API, ETL, CLI). Bind the id of the unit of
work with ``log_context(request_id=...)`` or ``log_context(run_id=...)``; every line logged inside
carries it (contextvars, so it follows threads started with ``contextvars.copy_context`` and asyncio
tasks). Pass fields with ``extra={...}``: ``logger.info("lead created", extra={"lead_id": ..., "source":
..., "owner_id": ..., "duration_ms": ...})``. Values under secret-looking keys (password, token,
secret, authorization, api_key, cookie) are replaced by ``"[redacted]"``; e-mail addresses are masked
(``j***@example.com``) at INFO and above, wherever they appear.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

REDACTED = "[redacted]"
SECRET_KEY_PATTERN = re.compile(
    r"passw(or)?d|passphrase|(^|_)pass($|_)|token|secret|authori[sz]ation|api[_-]?key|cookie|credential", re.I
)
EMAIL_PATTERN = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
URL_PASSWORD_PATTERN = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("log_context", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is a field.
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def new_id() -> str:
    """A fresh id for a request or a run (32 hex characters)."""
    return uuid.uuid4().hex


def current_context() -> dict[str, Any]:
    """The fields bound by the enclosing ``log_context`` blocks (a copy)."""
    return dict(_context.get() or {})


@contextmanager
def log_context(**fields: Any) -> Iterator[dict[str, Any]]:
    """Bind ``fields`` (e.g. ``request_id``/``run_id``) to every line logged inside the block."""
    merged = {**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield merged
    finally:
        _context.reset(token)


def mask_email(text: str) -> str:
    """Replace every e-mail address in ``text`` with its first letter and domain (``j***@x.com``)."""
    return EMAIL_PATTERN.sub(r"\1***@\2", text)


def sanitize(value: Any, *, mask_emails: bool = True, key: str | None = None) -> Any:
    """Return ``value`` safe to log: secrets redacted by key, passwords in URLs and e-mails masked."""
    if key is not None and SECRET_KEY_PATTERN.search(key):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(k): sanitize(v, mask_emails=mask_emails, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [sanitize(v, mask_emails=mask_emails) for v in value]
    if isinstance(value, str):
        value = URL_PASSWORD_PATTERN.sub(r"\1" + REDACTED + "@", value)
        return mask_email(value) if mask_emails else value
    if value is None or isinstance(value, bool | int | float):
        return value
    return sanitize(str(value), mask_emails=mask_emails)


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: ts, level, logger, message, context ids, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a single line of JSON."""
        mask = record.levelno >= logging.INFO
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": sanitize(record.getMessage(), mask_emails=mask),
        }
        payload.update(sanitize(current_context(), mask_emails=mask))
        for name, value in record.__dict__.items():
            if name not in _RESERVED and not name.startswith("_"):
                payload[name] = sanitize(value, mask_emails=mask, key=name)
        if record.exc_info:
            payload["error"] = sanitize(self.formatException(record.exc_info), mask_emails=mask)
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(level: str | int | None = None, *, stream: Any = None) -> logging.Handler:
    """Route the root logger to one JSON handler on stderr (idempotent); returns the handler."""
    if level is None:
        from core.settings import get_settings

        level = get_settings().log_level
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_sales_json", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._sales_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else str(level).upper())
    return handler
