"""The open pipeline summary read from the serving warehouse, scoped by role, with its as-of time."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient


def _rows(people) -> list[tuple[str, str, bool, float, float]]:
    rep, outsider = str(people["rep"].id), str(people["outsider"].id)
    return [
        (rep, "discovery", True, 1000, 200),
        (rep, "proposal", True, 4000, 2000),
        (rep, "closed_won", False, 9000, 0),
        (outsider, "negotiation", True, 10000, 7500),
    ]


def test_pipeline_for_an_owner_sums_only_their_open_deals(client: TestClient, people, make_warehouse) -> None:
    make_warehouse(_rows(people))
    response = client.get(
        f"/api/v1/opportunities/pipeline?owner_id={people['rep'].id}", headers=people["admin"].headers
    )
    assert response.status_code == 200
    body = response.json()
    summary = body["summary"]
    assert (summary["open_count"], summary["open_amount"], summary["weighted_amount"]) == (2, 5000, 2200)
    stages = {s["stage"]: s for s in summary["by_stage"]}
    assert list(stages) == ["prospecting", "discovery", "proposal", "negotiation"]
    assert stages["proposal"]["open_amount"] == 4000
    assert stages["negotiation"]["open_count"] == 0
    assert body["as_of"].startswith("2026-11-28T10:00:00")
    assert body["owner_id"] == str(people["rep"].id)


def test_pipeline_without_owner_is_everything_the_actor_may_see(client: TestClient, people, make_warehouse) -> None:
    make_warehouse(_rows(people))
    everything = client.get("/api/v1/opportunities/pipeline", headers=people["analyst"].headers).json()
    assert everything["summary"]["open_count"] == 3
    own = client.get("/api/v1/opportunities/pipeline", headers=people["rep"].headers).json()
    assert own["summary"]["open_amount"] == 5000


def test_rep_asking_for_another_owners_pipeline_gets_403(client: TestClient, people, make_warehouse) -> None:
    make_warehouse(_rows(people))
    response = client.get(
        f"/api/v1/opportunities/pipeline?owner_id={people['outsider'].id}", headers=people["rep"].headers
    )
    assert response.status_code == 403
    assert response.json()["detail"]["field"] == "owner_id"


def test_unknown_owner_gets_an_empty_pipeline(client: TestClient, people, make_warehouse) -> None:
    make_warehouse(_rows(people))
    response = client.get(f"/api/v1/opportunities/pipeline?owner_id={uuid.uuid4()}", headers=people["admin"].headers)
    assert response.status_code == 200
    assert response.json()["summary"]["open_count"] == 0


def test_pipeline_without_a_warehouse_gets_503_with_a_clear_message(client: TestClient, people, warehouse_path) -> None:
    response = client.get("/api/v1/opportunities/pipeline", headers=people["admin"].headers)
    assert response.status_code == 503
    assert "etl refresh" in response.json()["detail"]["message"]
