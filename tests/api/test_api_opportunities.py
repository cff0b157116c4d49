"""Opportunities over HTTP: list, read, edits and stage moves under the forms' rules; the pipeline summary."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def deal(client: TestClient, people, create_lead):
    """A discovery-stage opportunity owned by the rep (converted from a qualified lead)."""

    def make(owner: str = "rep", amount: int = 10000) -> dict:
        lead = create_lead(people[owner], status="qualified")
        response = client.post(
            f"/api/v1/leads/{lead['id']}/convert",
            json={"name": f"Deal for {lead['company']}", "amount": amount, "stage": "discovery"},
            headers=people[owner].headers,
        )
        assert response.status_code == 201, response.text
        return response.json()["opportunity"]

    return make


def test_list_and_get_opportunities_the_actor_may_see(client: TestClient, people, deal) -> None:
    mine = deal("rep")
    deal("outsider")
    page = client.get("/api/v1/opportunities", headers=people["rep"].headers).json()
    assert [o["id"] for o in page["data"]] == [mine["id"]]
    assert page["pagination"] == {"total": 1, "limit": 50, "offset": 0, "has_more": False, "total_is_exact": True}
    assert client.get("/api/v1/opportunities", headers=people["admin"].headers).json()["pagination"]["total"] == 2
    assert client.get(f"/api/v1/opportunities/{mine['id']}", headers=people["rep"].headers).json() == mine


def test_stage_filter_returns_only_that_stage(client: TestClient, people, deal) -> None:
    deal("rep")
    admin = people["admin"].headers
    assert client.get("/api/v1/opportunities?stage=discovery", headers=admin).json()["pagination"]["total"] == 1
    assert client.get("/api/v1/opportunities?stage=proposal", headers=admin).json()["pagination"]["total"] == 0


def test_patch_moves_the_stage_forward_and_edits_fields_in_one_request(client: TestClient, people, deal) -> None:
    opp = deal("rep")
    response = client.patch(
        f"/api/v1/opportunities/{opp['id']}",
        json={"stage": "proposal", "amount": 12000, "version": opp["version"]},
        headers=people["rep"].headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stage"], body["amount"]) == ("proposal", 12000)
    assert body["version"] > opp["version"]


def test_moving_backwards_without_a_reason_gets_422_naming_reason(client: TestClient, people, deal) -> None:
    opp = deal("rep")
    url = f"/api/v1/opportunities/{opp['id']}"
    response = client.patch(
        url, json={"stage": "prospecting", "version": opp["version"]}, headers=people["rep"].headers
    )
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "reason"
    assert client.get(url, headers=people["rep"].headers).json()["stage"] == "discovery"
    with_reason = client.patch(
        url,
        json={"stage": "prospecting", "reason": "budget moved to next year", "version": opp["version"]},
        headers=people["rep"].headers,
    )
    assert with_reason.status_code == 200


def test_closing_lost_needs_a_lost_reason(client: TestClient, people, deal) -> None:
    opp = deal("rep")
    url = f"/api/v1/opportunities/{opp['id']}"
    response = client.patch(
        url, json={"stage": "closed_lost", "version": opp["version"]}, headers=people["rep"].headers
    )
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "lost_reason"


def test_stale_version_gets_409_and_changes_nothing(client: TestClient, people, deal) -> None:
    opp = deal("rep")
    url = f"/api/v1/opportunities/{opp['id']}"
    rep = people["rep"].headers
    assert client.patch(url, json={"name": "Renamed", "version": opp["version"]}, headers=rep).status_code == 200
    stale = client.patch(url, json={"stage": "proposal", "version": opp["version"]}, headers=rep)
    assert stale.status_code == 409
    assert client.get(url, headers=rep).json()["stage"] == "discovery"


def test_rep_cannot_change_another_reps_deal_and_analyst_cannot_write(client: TestClient, people, deal) -> None:
    opp = deal("outsider")
    url = f"/api/v1/opportunities/{opp['id']}"
    body = {"stage": "proposal", "version": opp["version"]}
    assert client.patch(url, json=body, headers=people["rep"].headers).status_code == 403
    assert client.patch(url, json=body, headers=people["manager"].headers).status_code == 403
    assert client.patch(url, json=body, headers=people["analyst"].headers).status_code == 403
    assert client.get(url, headers=people["admin"].headers).json() == opp


def test_manager_moves_a_team_members_deal(client: TestClient, people, deal) -> None:
    opp = deal("teammate")
    response = client.patch(
        f"/api/v1/opportunities/{opp['id']}",
        json={"stage": "negotiation", "version": opp["version"]},
        headers=people["manager"].headers,
    )
    assert response.status_code == 200
    assert response.json()["stage"] == "negotiation"
