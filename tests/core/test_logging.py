"""Structured JSON logs: one object a line, the context id on every line, secrets and e-mails masked."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from core.logging import REDACTED, configure_logging, log_context, mask_email, new_id, sanitize


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = configure_logging("DEBUG", stream=buffer)
    yield buffer
    logging.getLogger().removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_line_is_one_json_object_with_level_logger_and_message(stream):
    logging.getLogger("crm.leads").info("lead created")
    (line,) = _lines(stream)
    assert line["level"] == "info" and line["logger"] == "crm.leads" and line["message"] == "lead created"
    assert line["ts"].endswith("+00:00")


def test_the_bound_request_id_is_on_every_line_inside_the_block_only(stream):
    log = logging.getLogger("api")
    with log_context(request_id="req-1"):
        log.info("start")
        with log_context(lead_id="L1"):
            log.info("inner")
        log.info("end")
    log.info("outside")
    lines = _lines(stream)
    assert [line.get("request_id") for line in lines] == ["req-1", "req-1", "req-1", None]
    assert lines[1]["lead_id"] == "L1" and "lead_id" not in lines[2]


def test_extra_fields_of_the_specification_are_kept(stream):
    with log_context(run_id="run-9"):
        logging.getLogger("etl").info(
            "refresh done", extra={"lead_id": "abc", "source": "web", "owner_id": "u1", "duration_ms": 12.5}
        )
    (line,) = _lines(stream)
    assert line["run_id"] == "run-9"
    assert (line["lead_id"], line["source"], line["owner_id"], line["duration_ms"]) == ("abc", "web", "u1", 12.5)


def test_passwords_and_tokens_never_reach_the_log(stream):
    logging.getLogger("api").info(
        "sign in", extra={"password": "hunter2", "access_token": "eyJ", "form": {"api_key": "k", "user": "ana"}}
    )
    (line,) = _lines(stream)
    assert line["password"] == REDACTED and line["access_token"] == REDACTED
    assert line["form"] == {"api_key": REDACTED, "user": "ana"}
    assert "hunter2" not in stream.getvalue()


def test_emails_are_masked_at_info_but_kept_at_debug(stream):
    log = logging.getLogger("crm")
    log.info("duplicate john.doe@example.com", extra={"email": "john.doe@example.com"})
    log.debug("debug john.doe@example.com")
    info, debug = _lines(stream)
    assert info["message"] == "duplicate j***@example.com" and info["email"] == "j***@example.com"
    assert debug["message"] == "debug john.doe@example.com"


def test_only_secret_looking_keys_are_redacted():
    assert sanitize({"pass": "x", "db_password": "x", "refresh_token": "x", "passed_checks": 3, "bypass": "y"}) == {
        "pass": REDACTED,
        "db_password": REDACTED,
        "refresh_token": REDACTED,
        "passed_checks": 3,
        "bypass": "y",
    }


def test_database_url_passwords_are_redacted():
    assert sanitize("postgresql://app:s3cret@db:5432/sales") == f"postgresql://app:{REDACTED}@db:5432/sales"


def test_exceptions_are_logged_as_one_line_with_the_traceback(stream):
    try:
        raise ValueError("bad amount for ana@example.com")
    except ValueError:
        logging.getLogger("crm").exception("failed")
    (line,) = _lines(stream)
    assert "ValueError" in line["error"] and "a***@example.com" in line["error"]


def test_context_does_not_leak_between_threads(stream):
    seen: list[str | None] = []

    def worker() -> None:
        logging.getLogger("t").info("in thread")

    with log_context(request_id="main-only"):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    seen = [line.get("request_id") for line in _lines(stream)]
    assert seen == [None]


def test_configure_is_idempotent(stream):
    configure_logging("INFO", stream=stream)
    logging.getLogger("x").info("once")
    assert len(_lines(stream)) == 1


def test_helpers():
    assert len(new_id()) == 32 and new_id() != new_id()
    assert mask_email("write to a.b@c.io or x@y.org") == "write to a***@c.io or x***@y.org"
