"""Sign-in, token expiry and revocation, integration API keys."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.credentials import issue_token
from core.db import transaction
from crm.api_keys import hash_api_key
from models import ApiKey

PASSWORD = "correct-horse-battery"


def test_password_sign_in_returns_a_bearer_token_that_works(client: TestClient, people) -> None:
    response = client.post("/api/v1/auth/token", data={"username": people["rep"].email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["role"] == "rep"


def test_wrong_password_and_unknown_email_get_the_same_401(client: TestClient, people) -> None:
    wrong = client.post("/api/v1/auth/token", data={"username": people["rep"].email, "password": "nope-nope-nope"})
    unknown = client.post("/api/v1/auth/token", data={"username": "nobody@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"]["message"] == unknown.json()["detail"]["message"]
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_repeated_failed_sign_ins_are_throttled(client: TestClient, people) -> None:
    form = {"username": people["teammate"].email, "password": "wrong-password"}
    codes = [client.post("/api/v1/auth/token", data=form).status_code for _ in range(6)]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    good = client.post("/api/v1/auth/token", data={"username": people["teammate"].email, "password": PASSWORD})
    assert good.status_code == 429


def test_requests_without_credentials_get_401_json(client: TestClient, people) -> None:
    response = client.get("/api/v1/leads")
    assert response.status_code == 401
    assert response.json()["detail"]["message"]


def test_expired_and_forged_tokens_are_refused(client: TestClient, people) -> None:
    expired = issue_token(user_id=people["rep"].id, minutes=-1).access_token
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    forged = issue_token(user_id=people["rep"].id).access_token[:-3] + "abc"
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_revoked_token_is_refused_while_others_still_work(client: TestClient, people) -> None:
    token = {"Authorization": f"Bearer {issue_token(user_id=people['rep'].id).access_token}"}
    other = people["rep"].headers
    assert client.post("/api/v1/auth/revoke", headers=token).status_code == 204
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401
    assert client.get("/api/v1/auth/me", headers=other).status_code == 200


def test_admin_creates_an_api_key_shown_once_and_stored_hashed(client: TestClient, people) -> None:
    response = client.post(
        "/api/v1/api-keys",
        json={"name": "Webinar sync", "user_id": str(people["rep"].id)},
        headers=people["admin"].headers,
    )
    assert response.status_code == 201
    created = response.json()
    secret = created["key"]
    me = client.get("/api/v1/auth/me", headers={"X-API-Key": secret})
    assert me.status_code == 200
    assert me.json()["id"] == str(people["rep"].id)
    listed = client.get("/api/v1/api-keys", headers=people["admin"].headers).json()
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0]
    with transaction() as session:
        stored = session.scalar(select(ApiKey.key_hash))
    assert stored == hash_api_key(secret)
    assert secret not in stored


def test_revoked_api_key_is_refused(client: TestClient, people) -> None:
    created = client.post("/api/v1/api-keys", json={"name": "CRM sync"}, headers=people["admin"].headers).json()
    assert client.delete(f"/api/v1/api-keys/{created['id']}", headers=people["admin"].headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": created["key"]}).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": "sk_made-up"}).status_code == 401


def test_api_key_in_use_is_refused_at_once_after_revocation(client: TestClient, people) -> None:
    created = client.post("/api/v1/api-keys", json={"name": "Busy sync"}, headers=people["admin"].headers).json()
    key = {"X-API-Key": created["key"]}
    assert client.get("/api/v1/auth/me", headers=key).status_code == 200  # now remembered as valid
    assert client.delete(f"/api/v1/api-keys/{created['id']}", headers=people["admin"].headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers=key).status_code == 401


def test_only_admins_manage_api_keys(client: TestClient, people) -> None:
    for who in ("rep", "manager", "analyst"):
        headers = people[who].headers
        assert client.post("/api/v1/api-keys", json={"name": "x"}, headers=headers).status_code == 403
        assert client.get("/api/v1/api-keys", headers=headers).status_code == 403


def test_nul_character_in_credentials_gets_422_not_a_server_error(client: TestClient, people) -> None:
    response = client.post("/api/v1/auth/token", data={"username": "\x00", "password": "x"})
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "username"
