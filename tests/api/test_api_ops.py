"""/health and /metrics, and the OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core.version import __version__


def test_health_reports_database_version_and_warehouse_age(client: TestClient, make_warehouse) -> None:
    make_warehouse([])
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["warehouse"], body["version"]) == ("ok", "ok", "ok", __version__)
    assert body["warehouse_as_of"].startswith("2026-11-28T10:00:00")
    assert body["warehouse_age_seconds"] > 0


def test_health_without_a_warehouse_says_missing(client: TestClient, warehouse_path) -> None:
    body = client.get("/health").json()
    assert (body["status"], body["warehouse"], body["warehouse_as_of"]) == ("ok", "missing", None)


def test_metrics_expose_the_specification_names(client: TestClient, people, make_warehouse) -> None:
    make_warehouse([(str(people["rep"].id), "proposal", True, 4000, 2000)])
    client.get("/api/v1/leads", headers=people["rep"].headers)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in (
        "sales_lead_created_total",
        "sales_opportunity_stage_change_total",
        "sales_api_request_duration_seconds",
        "sales_active_pipeline_amount",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name
    assert 'route="/api/v1/leads"' in text
    assert 'method="GET"' in text


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Request-ID": "abc123"}).headers["x-request-id"] == "abc123"
    assert len(client.get("/health").headers["x-request-id"]) == 32


def test_unknown_route_gets_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["detail"]["message"]


ROUTES = (
    "/api/v1/auth/token",
    "/api/v1/leads",
    "/api/v1/leads/{lead_id}",
    "/api/v1/leads/{lead_id}/convert",
    "/api/v1/opportunities",
    "/api/v1/opportunities/pipeline",
    "/health",
    "/metrics",
)


def test_openapi_documents_every_route_with_error_responses(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert set(ROUTES) <= set(doc["paths"])
    post_leads = doc["paths"]["/api/v1/leads"]["post"]["responses"]
    assert {"201", "401", "403", "409", "422"} <= set(post_leads)
    assert post_leads["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    schemes = {s["type"] for s in doc["components"]["securitySchemes"].values()}
    assert schemes == {"oauth2", "apiKey"}
