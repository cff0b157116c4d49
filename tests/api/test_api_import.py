"""CSV lead import over HTTP: the CLI's engine, its per-row error report, roles."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

CSV = (
    "first_name,last_name,email,company,engagement_score\n"
    "Ada,Lovelace,ada@example.com,Analytical,80\n"
    "Bad,Row,not-an-email,Nowhere,10\n"
    "Alan,Turing,alan@example.com,Bletchley,70\n"
)


def _upload(client: TestClient, headers: dict[str, str], text: str = CSV, **form: object):
    files = {"file": ("leads.csv", text.encode(), "text/csv")}
    return client.post("/api/v1/leads/import", files=files, data=form, headers=headers)


def test_import_with_a_bad_row_reports_it_and_keeps_nothing(client: TestClient, people) -> None:
    headers = people["admin"].headers
    response = _upload(client, headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["committed"] is False
    assert report["rows_read"] == 3
    assert [(e["row_number"], e["field"]) for e in report["errors"]] == [(3, "email")]
    assert client.get("/api/v1/leads", headers=headers).json()["pagination"]["total"] == 0


def test_import_skipping_bad_rows_keeps_the_good_ones(client: TestClient, people) -> None:
    headers = people["admin"].headers
    report = _upload(client, headers, skip_bad_rows="true").json()
    assert (report["committed"], report["inserted"], report["rows_rejected"]) == (True, 2, 1)
    emails = {lead["email"] for lead in client.get("/api/v1/leads", headers=headers).json()["data"]}
    assert emails == {"ada@example.com", "alan@example.com"}


def test_import_with_a_mapping_renames_columns(client: TestClient, people) -> None:
    text = "Surname,Email Address\nHopper,grace@example.com\n"
    mapping = {"columns": {"last_name": "Surname", "email": "Email Address"}, "defaults": {"source": "event"}}
    report = _upload(client, people["admin"].headers, text, mapping=json.dumps(mapping)).json()
    assert (report["committed"], report["inserted"]) == (True, 1)


def test_import_with_broken_mapping_json_names_the_mapping_field(client: TestClient, people) -> None:
    response = _upload(client, people["admin"].headers, mapping="{not json")
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "mapping"


def test_analyst_cannot_import(client: TestClient, people) -> None:
    response = _upload(client, people["analyst"].headers, skip_bad_rows="true")
    assert response.status_code == 403
    assert client.get("/api/v1/leads", headers=people["admin"].headers).json()["pagination"]["total"] == 0
