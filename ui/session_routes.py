"""HTTP routes beside the Streamlit app that set and clear the http-only session cookie.

Streamlit talks to the browser over a websocket, which cannot set cookies; these two small
endpoints on the same server can. ``POST /session/open`` exchanges the one-time ticket a sign-in
produced for the signed cookie; ``POST /session/close`` ends the session and clears the cookie.
Both accept same-origin requests only (the ``Origin`` header must match the host).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.db import transaction
from core.settings import get_settings
from crm.sessions import end_session, redeem_ticket, sign_token, unsign_token

COOKIE_NAME = "sales_session"  # ui.session reads it back through st.context.cookies
MAX_TICKET_BYTES = 200


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return False
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _open(ticket: str) -> tuple[str, datetime] | None:
    with transaction() as session:
        return redeem_ticket(session=session, ticket=ticket)


def _close(token: str) -> None:
    with transaction() as session:
        end_session(session=session, token=token)


async def open_session(request: Request) -> Response:
    """Exchange a one-time sign-in ticket for the http-only session cookie."""
    if not _same_origin(request):
        return _no_store(JSONResponse({"error": "cross-origin request refused"}, status_code=403))
    ticket = (await request.body())[:MAX_TICKET_BYTES].decode("utf-8", "replace").strip()
    redeemed = await run_in_threadpool(_open, ticket) if ticket else None
    if redeemed is None:
        return _no_store(JSONResponse({"error": "this sign-in link has expired; sign in again"}, status_code=400))
    token, expires_at = redeemed
    response = JSONResponse({"ok": True})
    response.set_cookie(
        COOKIE_NAME,
        sign_token(token, get_settings().secret_key),
        max_age=max(int((expires_at - datetime.now(UTC)).total_seconds()), 0),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https",
    )
    return _no_store(response)


async def close_session(request: Request) -> Response:
    """End the session this browser's cookie holds, and clear the cookie."""
    if not _same_origin(request):
        return _no_store(JSONResponse({"error": "cross-origin request refused"}, status_code=403))
    value = request.cookies.get(COOKIE_NAME)
    token = unsign_token(value, get_settings().secret_key) if value else None
    if token is not None:
        await run_in_threadpool(_close, token)
    response = JSONResponse({"ok": True})
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return _no_store(response)


def session_routes() -> list[Route]:
    """The routes ``app.py`` mounts beside Streamlit."""
    return [
        Route("/session/open", open_session, methods=["POST"]),
        Route("/session/close", close_session, methods=["POST"]),
    ]
