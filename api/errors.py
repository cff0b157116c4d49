"""One error shape for every failure: ``{"detail": {"message", "field", "errors": [{"field", "problem"}]}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.warehouse import WarehouseMissing
from crm.errors import DomainError, DuplicateEmail, StaleRecord, ValidationFailed
from models.schemas import problem_in_words

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    """One field and what is wrong with it."""

    field: str = Field(examples=["email"])
    problem: str = Field(examples=["not a valid email address"])


class ErrorDetail(BaseModel):
    """What went wrong, for a person: the message, the field it concerns, every field problem."""

    message: str = Field(examples=["email: not a valid email address"])
    field: str | None = Field(default=None, examples=["email"])
    errors: list[FieldProblem] = Field(default_factory=list)
    existing_id: str | None = Field(
        default=None,
        description="On a duplicate (409): the id of the record that already exists, when you may see it.",
    )
    changed_fields: list[str] | None = Field(
        default=None,
        description="On a stale version (409): the fields changed since the version you sent (from the audit log).",
        examples=[["phone"]],
    )
    current_version: int | None = Field(
        default=None, description="On a stale version (409): the version stored now (read the record again)."
    )


class ErrorResponse(BaseModel):
    """The body of every error response."""

    detail: ErrorDetail


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Bad request (e.g. an unreadable upload)",
        401: "Missing, invalid, expired or revoked credentials",
        403: "Your role may not do this (or not on this record)",
        404: "No such record (or route)",
        409: "Conflict: duplicate email or a stale version",
        422: "Invalid input: each bad field is named in `errors`",
        429: "Too many failed sign-ins: wait and retry",
        503: "A dependency (the warehouse) is not available yet",
    }
    return {code: {"model": ErrorResponse, "description": text[code]} for code in codes}


AUTH_ERRORS = _responses(401, 403)
READ_ERRORS = _responses(401, 403, 404, 422)
WRITE_ERRORS = _responses(401, 403, 404, 409, 422)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries (ErrorResponse body) for these status codes."""
    return _responses(*codes)


def error_body(
    message: str, *, field: str | None = None, errors: list[tuple[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    """The JSON body of an error response."""
    detail: dict[str, Any] = {
        "message": message,
        "field": field,
        "errors": [{"field": f, "problem": p} for f, p in (errors or [])],
    }
    detail.update({k: v for k, v in extra.items() if v is not None})
    return {"detail": jsonable_encoder(detail)}


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form", "cookie")]
    return ".".join(parts) or "body"


def _problem(error: dict[str, Any]) -> str:
    return problem_in_words(error)


def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    errors = list(exc.errors) if isinstance(exc, ValidationFailed) else []
    if not errors and exc.field:
        errors = [(exc.field, exc.message)]
    extra: dict[str, Any] = {}
    if isinstance(exc, DuplicateEmail) and exc.existing_id is not None:
        extra["existing_id"] = str(exc.existing_id)
    if isinstance(exc, StaleRecord):
        extra.update(changed_fields=exc.changed_fields, current_version=exc.current_version)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return JSONResponse(
        error_body(exc.message, field=exc.field, errors=errors, **extra),
        status_code=exc.status_code,
        headers=headers,
    )


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [(_field_of(e.get("loc", ())), _problem(e)) for e in exc.errors()]
    message = "; ".join(f"{f}: {p}" for f, p in errors) or "invalid request"
    return JSONResponse(error_body(message, field=errors[0][0] if errors else None, errors=errors), status_code=422)


def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.detail, dict) and "message" in exc.detail:
        body = error_body(**exc.detail)
    else:
        body = error_body(str(exc.detail))
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


def _warehouse_missing(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(error_body(str(exc), field=None), status_code=503)


def _unstorable_value(_: Request, exc: Exception) -> JSONResponse:
    # PostgreSQL refused a value the schemas let through (a NUL character, an out-of-range number):
    # bad input, not a server fault. The transaction has been rolled back; nothing changed.
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return JSONResponse(error_body(f"A value in the request cannot be stored: {reason}"), status_code=422)


def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("Internal error: the request could not be completed."), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Turn domain errors, validation errors and HTTP errors into the one error shape."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(WarehouseMissing, _warehouse_missing)
    app.add_exception_handler(DataError, _unstorable_value)
    app.add_exception_handler(Exception, _unexpected)
