"""Operations: ``/health`` (database, warehouse age, version) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from api.schemas import Health
from api.snapshot import warehouse_as_of
from core.db import check_connection
from core.errors import ConfigError
from core.metrics import metrics_payload
from core.version import __version__
from core.warehouse import WarehouseMissing

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/health", response_model=Health, responses={503: {"model": Health, "description": "Database down"}})
def health() -> JSONResponse:
    """Database reachable, warehouse age and the version; 503 when the database cannot be reached."""
    database = "ok"
    try:
        check_connection()
    except ConfigError as exc:
        log.warning("health: %s", exc)
        database = "unreachable"
    warehouse, as_of, age = "ok", None, None
    try:
        as_of = warehouse_as_of()
        if as_of is not None:
            age = round((datetime.now(UTC) - as_of).total_seconds(), 1)
    except WarehouseMissing:
        warehouse = "missing"
    except Exception as exc:  # a damaged or foreign file must not break the health check
        log.warning("health: warehouse unreadable: %s", exc)
        warehouse = "error"
    body = Health(
        status="ok" if database == "ok" else "degraded",
        version=__version__,
        database=database,
        warehouse=warehouse,
        warehouse_as_of=as_of,
        warehouse_age_seconds=age,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if database == "ok" else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics() -> Response:
    """Prometheus metrics in the text exposition format."""
    payload, content_type = metrics_payload()
    return Response(payload, media_type=content_type)
