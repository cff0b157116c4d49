"""Per request: an id on every log line (``X-Request-ID``) and timing for Prometheus
(``sales_api_request_duration_seconds{method,route,status_code}``)."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logging import log_context, new_id
from core.metrics import observe_api_request, record_error

_HEADER = b"x-request-id"


class RequestMetrics:
    """ASGI middleware: binds a request id and times every request by its route template (never raw ids)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and record it once the response has started (or failed)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        given = dict(scope.get("headers") or []).get(_HEADER, b"").decode("latin-1")[:64]
        request_id = given if given.isprintable() and given else new_id()

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (_HEADER, request_id.encode("latin-1"))]
            await send(message)

        try:
            with log_context(request_id=request_id):
                await self.app(scope, receive, send_and_note_status)
        except Exception as exc:
            record_error(component="api", error=exc)
            raise
        finally:
            observe_api_request(
                method=scope["method"],
                route=_route_template(scope),
                status_code=status,
                seconds=time.perf_counter() - start,
            )


def _route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
