"""The session-cookie endpoints beside Streamlit: same-origin only, one-time tickets, http-only cookie."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.db import transaction
from core.settings import get_settings
from crm.sessions import start_session, unsign_token, user_for_token
from tests.crm.conftest import add_user
from ui.session_routes import COOKIE_NAME, session_routes

ORIGIN = {"origin": "http://testserver"}


def _ticket(engine) -> str:
    with transaction(engine) as session:
        user = add_user(session, "Leo", "rep")
        _, ticket = start_session(session=session, user_id=user.id, hours=12)
    return ticket


def test_a_ticket_becomes_an_http_only_cookie_once(clean_db):
    ticket = _ticket(clean_db)
    client = TestClient(Starlette(routes=session_routes()))

    response = client.post("/session/open", content=ticket, headers=ORIGIN)

    assert response.status_code == 200
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE_NAME}=") and "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    assert "Max-Age=43" in set_cookie  # 12 hours = 43200 s (give or take the second it took)
    token = unsign_token(response.cookies[COOKIE_NAME], get_settings().secret_key)
    with transaction(clean_db) as session:
        assert token is not None and user_for_token(session=session, token=token) is not None
    again = TestClient(Starlette(routes=session_routes())).post("/session/open", content=ticket, headers=ORIGIN)
    assert again.status_code == 400 and "set-cookie" not in again.headers


def test_another_origin_cannot_use_a_ticket(clean_db):
    ticket = _ticket(clean_db)
    client = TestClient(Starlette(routes=session_routes()))

    assert client.post("/session/open", content=ticket, headers={"origin": "http://evil.example"}).status_code == 403
    assert client.post("/session/open", content=ticket).status_code == 403  # no Origin at all
    assert client.post("/session/open", content=ticket, headers=ORIGIN).status_code == 200  # still unused


def test_close_ends_the_session_and_clears_the_cookie(clean_db):
    ticket = _ticket(clean_db)
    client = TestClient(Starlette(routes=session_routes()))
    client.post("/session/open", content=ticket, headers=ORIGIN)
    token = unsign_token(client.cookies[COOKIE_NAME], get_settings().secret_key)

    response = client.post("/session/close", headers=ORIGIN)

    assert response.status_code == 200 and f'{COOKIE_NAME}=""' in response.headers["set-cookie"]
    with transaction(clean_db) as session:
        assert user_for_token(session=session, token=token or "") is None
