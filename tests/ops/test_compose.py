"""deploy/compose.yml: valid against the compose specification, the whole stack, the README's commands."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yml"


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_compose_file_matches_the_compose_spec_schema(ops):
    result = ops.run(ops.tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_stack_has_database_app_api_etl_prometheus_and_grafana():
    assert {"postgres", "migrate", "app", "api", "etl", "prometheus", "grafana"} <= set(_services())


def test_processes_start_with_the_readme_commands(ops):
    services = _services()
    readme = ops.readme()
    assert services["app"]["command"][:3] == ["streamlit", "run", "app.py"]
    assert services["api"]["command"][:2] == ["uvicorn", "api.main:app"]
    assert services["etl"]["command"] == ["python", "-m", "etl", "schedule", "--every", "15m"]
    assert services["migrate"]["command"] == ["python", "-m", "crm", "migrate"]
    for command in ("streamlit run app.py", "uvicorn api.main:app", "python -m etl schedule", "python -m crm migrate"):
        assert command in readme


def test_app_api_and_etl_wait_for_migrations_and_share_the_warehouse_volume():
    services = _services()
    for name in ("app", "api", "etl"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "warehouse:/data" in services[name]["volumes"]
        assert services[name]["environment"]["WAREHOUSE_PATH"] == "/data/warehouse.duckdb"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_mounted_configuration_files_exist():
    for name in ("prometheus", "grafana"):
        for volume in _services()[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (COMPOSE.parent / source).exists(), source


def test_no_secret_is_hard_coded_without_an_override():
    text = COMPOSE.read_text()
    assert "${POSTGRES_PASSWORD:-" in text and "${SECRET_KEY:-" in text
