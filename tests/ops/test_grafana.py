"""deploy/grafana: the specification's eight panels, each with a query, provisioned as compose mounts it."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
PANELS = [
    "Request rate",
    "Response time (p50 / p95 / p99)",
    "Error rate",
    "Lead creation rate",
    "Pipeline value",
    "Conversion rate",
    "Database pool",
    "Cache hit rate",
]


def _dashboard() -> dict:
    return json.loads((GRAFANA / "dashboard.json").read_text())


def test_dashboard_has_the_eight_panels_of_the_specification():
    assert [panel["title"] for panel in _dashboard()["panels"]] == PANELS


def test_every_panel_queries_prometheus():
    for panel in _dashboard()["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert "sales_" in target["expr"], panel["title"]
            assert target["datasource"]["type"] == "prometheus"


def test_response_time_panel_shows_p50_p95_p99():
    panel = next(p for p in _dashboard()["panels"] if p["title"].startswith("Response time"))
    assert [t["legendFormat"] for t in panel["targets"]] == ["p50", "p95", "p99"]


def test_panels_do_not_overlap():
    cells = set()
    for panel in _dashboard()["panels"]:
        pos = panel["gridPos"]
        area = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not cells & area, panel["title"]
        cells |= area


def test_provisioning_points_at_the_mounted_dashboard():
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "sales-system.yml").read_text())
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    folder = provider["providers"][0]["options"]["path"]
    assert any(m.startswith("./grafana/dashboard.json:" + folder + "/") for m in mounts)
    datasource = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
