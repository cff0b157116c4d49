"""Property-based requests generated from the OpenAPI document (schemathesis): never a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.main import app

schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def fuzz_headers(client, people, make_warehouse) -> dict[str, str]:
    """An admin's token (every route reachable) and a tiny warehouse behind the pipeline route."""
    make_warehouse([(str(people["rep"].id), "proposal", True, 4000, 2000)])
    return people["admin"].headers


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_generated_requests_never_get_a_server_error(case, fuzz_headers: dict[str, str]) -> None:
    response = case.call(headers=fuzz_headers)
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text}"
    content_type = response.headers.get("content-type", [""])
    if response.status_code >= 400 and str(content_type[0]).startswith("application/json"):
        assert response.json()["detail"]["message"]
