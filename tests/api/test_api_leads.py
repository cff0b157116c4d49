"""Leads over HTTP: the specification's integration tests, roles on every write route, versions."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_create_lead_returns_201_with_id_status_new_and_the_fields_sent(client: TestClient, people, new_lead) -> None:
    body = new_lead()
    response = client.post("/api/v1/leads", json=body, headers=people["rep"].headers)
    assert response.status_code == 201
    lead = response.json()
    assert lead["id"]
    assert lead["status"] == "new"
    for field, value in body.items():
        assert lead[field] == value, field
    assert lead["owner_id"] == str(people["rep"].id)


def test_duplicate_email_gets_409_naming_the_existing_lead(client: TestClient, people, create_lead, new_lead) -> None:
    first = create_lead(people["rep"], email="dup@example.com")
    response = client.post("/api/v1/leads", json=new_lead(email="DUP@example.com"), headers=people["manager"].headers)
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail["field"] == "email"
    assert detail["existing_id"] == first["id"]
    assert first["id"] not in detail["message"] and "already exists, owned by" in detail["message"]


def test_duplicate_email_of_a_lead_you_may_not_see_gets_409_without_its_id(
    client: TestClient, people, create_lead, new_lead
) -> None:
    first = create_lead(people["rep"], email="dup@example.com")
    response = client.post("/api/v1/leads", json=new_lead(email="DUP@example.com"), headers=people["teammate"].headers)
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail["field"] == "email"
    assert "existing_id" not in detail
    assert detail["message"].endswith("already exists, owned by someone else — ask your manager.")
    assert first["id"] not in response.text and first["first_name"] not in detail["message"]


def test_invalid_lead_gets_422_naming_each_bad_field(client: TestClient, people, new_lead) -> None:
    body = new_lead(email="not-an-email", engagement_score=150)
    del body["last_name"]
    response = client.post("/api/v1/leads", json=body, headers=people["rep"].headers)
    assert response.status_code == 422
    detail = response.json()["detail"]
    fields = {e["field"] for e in detail["errors"]}
    assert fields == {"email", "engagement_score", "last_name"}
    assert detail["message"]
    assert client.get("/api/v1/leads", headers=people["admin"].headers).json()["pagination"]["total"] == 0


def test_lead_list_has_pagination_fields(client: TestClient, people, create_lead) -> None:
    for _ in range(3):
        create_lead(people["rep"])
    response = client.get("/api/v1/leads?limit=2&offset=0", headers=people["rep"].headers)
    assert response.status_code == 200
    page = response.json()
    assert len(page["data"]) == 2
    assert page["pagination"] == {"total": 3, "limit": 2, "offset": 0, "has_more": True, "total_is_exact": True}
    last = client.get("/api/v1/leads?limit=2&offset=2", headers=people["rep"].headers).json()
    assert len(last["data"]) == 1
    assert last["pagination"] == {"total": 3, "limit": 2, "offset": 2, "has_more": False, "total_is_exact": True}


def test_status_filter_returns_only_that_status(client: TestClient, people, create_lead) -> None:
    rep = people["rep"]
    create_lead(rep)
    create_lead(rep, status="qualified")
    create_lead(rep, status="contacted")
    page = client.get("/api/v1/leads?status=qualified", headers=rep.headers).json()
    assert [lead["status"] for lead in page["data"]] == ["qualified"]
    assert page["pagination"]["total"] == 1


def test_search_by_q_sorting_and_owner_filter(client: TestClient, people, create_lead) -> None:
    rep = people["rep"]
    create_lead(rep, company="Globex", engagement_score=10)
    create_lead(rep, company="Initech", engagement_score=90)
    found = client.get("/api/v1/leads?q=globex", headers=rep.headers).json()["data"]
    assert [lead["company"] for lead in found] == ["Globex"]
    ordered = client.get("/api/v1/leads?sort=score_asc", headers=rep.headers).json()["data"]
    assert [lead["company"] for lead in ordered] == ["Globex", "Initech"]
    by_owner = client.get(f"/api/v1/leads?owner_id={rep.id}", headers=people["manager"].headers).json()
    assert by_owner["pagination"]["total"] == 2


def test_unknown_status_filter_gets_422_naming_status(client: TestClient, people) -> None:
    response = client.get("/api/v1/leads?status=hot", headers=people["rep"].headers)
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "status"


def test_rep_sees_only_their_own_leads(client: TestClient, people, create_lead) -> None:
    create_lead(people["rep"])
    create_lead(people["outsider"])
    page = client.get("/api/v1/leads", headers=people["rep"].headers).json()
    assert {lead["owner_id"] for lead in page["data"]} == {str(people["rep"].id)}
    assert client.get("/api/v1/leads", headers=people["analyst"].headers).json()["pagination"]["total"] == 2


def test_patch_with_current_version_changes_the_lead(client: TestClient, people, create_lead) -> None:
    lead = create_lead(people["rep"])
    response = client.patch(
        f"/api/v1/leads/{lead['id']}",
        json={"status": "contacted", "version": lead["version"]},
        headers=people["rep"].headers,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "contacted"
    assert response.json()["version"] == lead["version"] + 1


def test_patch_with_stale_version_gets_409_and_changes_nothing(client: TestClient, people, create_lead) -> None:
    rep = people["rep"]
    lead = create_lead(rep)
    url = f"/api/v1/leads/{lead['id']}"
    assert client.patch(url, json={"title": "CTO", "version": lead["version"]}, headers=rep.headers).status_code == 200
    stale = client.patch(url, json={"title": "CEO", "version": lead["version"]}, headers=rep.headers)
    assert stale.status_code == 409
    assert stale.json()["detail"]["message"]
    assert client.get(url, headers=rep.headers).json()["title"] == "CTO"


def test_stale_409_names_the_fields_changed_since_the_version_sent(client: TestClient, people, create_lead) -> None:
    rep = people["rep"]
    lead = create_lead(rep)
    url = f"/api/v1/leads/{lead['id']}"
    first = client.patch(url, json={"phone": "+1 415 555 0100", "version": lead["version"]}, headers=rep.headers)
    second = client.patch(url, json={"title": "CTO", "version": first.json()["version"]}, headers=rep.headers)
    assert second.status_code == 200

    from_start = client.patch(url, json={"phone": None, "version": lead["version"]}, headers=rep.headers)
    assert from_start.status_code == 409
    detail = from_start.json()["detail"]
    assert detail["changed_fields"] == ["phone", "title"]
    assert detail["current_version"] == second.json()["version"]
    from_middle = client.patch(url, json={"phone": None, "version": first.json()["version"]}, headers=rep.headers)
    assert from_middle.json()["detail"]["changed_fields"] == ["title"]
    assert client.get(url, headers=rep.headers).json()["phone"] == "+1 415 555 0100"


def test_rep_cannot_touch_another_reps_lead_and_nothing_changes(client: TestClient, people, create_lead) -> None:
    lead = create_lead(people["outsider"], status="qualified")
    url = f"/api/v1/leads/{lead['id']}"
    rep = people["rep"].headers
    assert client.get(url, headers=rep).status_code == 403
    assert client.patch(url, json={"title": "X", "version": lead["version"]}, headers=rep).status_code == 403
    assert client.delete(url, headers=rep).status_code == 403
    convert = client.post(f"{url}/convert", json={"name": "Deal", "amount": 1000}, headers=rep)
    assert convert.status_code == 403
    assert convert.json()["detail"]["message"]
    after = client.get(url, headers=people["admin"].headers).json()
    assert after == lead


def test_analyst_reads_but_every_write_is_403(client: TestClient, people, create_lead, new_lead) -> None:
    lead = create_lead(people["rep"], status="qualified")
    url = f"/api/v1/leads/{lead['id']}"
    analyst = people["analyst"].headers
    assert client.get(url, headers=analyst).status_code == 200
    assert client.post("/api/v1/leads", json=new_lead(), headers=analyst).status_code == 403
    assert client.patch(url, json={"title": "X", "version": lead["version"]}, headers=analyst).status_code == 403
    assert client.delete(url, headers=analyst).status_code == 403
    assert client.post(f"{url}/convert", json={"name": "D", "amount": 5}, headers=analyst).status_code == 403
    assert client.get(url, headers=analyst).json() == lead
    assert client.get("/api/v1/leads", headers=analyst).json()["pagination"]["total"] == 1


def test_manager_edits_and_deletes_a_team_members_lead(client: TestClient, people, create_lead) -> None:
    lead = create_lead(people["rep"])
    url = f"/api/v1/leads/{lead['id']}"
    manager = people["manager"].headers
    edited = client.patch(url, json={"title": "CTO", "version": lead["version"]}, headers=manager)
    assert edited.status_code == 200
    assert client.delete(url, headers=manager).status_code == 204
    missing = client.get(url, headers=manager)
    assert missing.status_code == 404
    assert missing.json()["detail"]["field"] == "lead_id"


def test_manager_cannot_edit_a_lead_outside_their_team(client: TestClient, people, create_lead) -> None:
    lead = create_lead(people["outsider"])
    url = f"/api/v1/leads/{lead['id']}"
    response = client.patch(url, json={"title": "CTO", "version": lead["version"]}, headers=people["manager"].headers)
    assert response.status_code == 403
    assert client.get(url, headers=people["admin"].headers).json()["title"] == lead["title"]


def test_convert_creates_an_opportunity_and_marks_the_lead_converted(client: TestClient, people, create_lead) -> None:
    rep = people["rep"]
    lead = create_lead(rep, status="qualified")
    response = client.post(
        f"/api/v1/leads/{lead['id']}/convert",
        json={"name": "Acme platform", "amount": 25000, "stage": "discovery", "expected_close_date": "2027-03-31"},
        headers=rep.headers,
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["lead"]["status"] == "converted"
    assert result["opportunity"]["stage"] == "discovery"
    assert result["opportunity"]["amount"] == 25000
    assert result["lead"]["converted_opportunity_id"] == result["opportunity"]["id"]
    fetched = client.get(f"/api/v1/opportunities/{result['opportunity']['id']}", headers=rep.headers)
    assert fetched.status_code == 200


def test_unknown_lead_id_gets_404_and_malformed_id_422(client: TestClient, people) -> None:
    headers = people["admin"].headers
    missing = client.get("/api/v1/leads/00000000-0000-0000-0000-000000000000", headers=headers)
    assert missing.status_code == 404
    malformed = client.get("/api/v1/leads/not-a-uuid", headers=headers)
    assert malformed.status_code == 422
    assert malformed.json()["detail"]["field"] == "lead_id"


def test_nul_character_in_a_field_gets_422_and_stores_nothing(client: TestClient, people, new_lead) -> None:
    response = client.post("/api/v1/leads", json=new_lead(company="Acme\x00Corp"), headers=people["rep"].headers)
    assert response.status_code == 422
    assert response.json()["detail"]["message"]
    assert client.get("/api/v1/leads", headers=people["rep"].headers).json()["pagination"]["total"] == 0
    search = client.get("/api/v1/leads?q=a%00b", headers=people["rep"].headers)
    assert search.status_code == 422
