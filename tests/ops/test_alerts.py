"""Prometheus rules: promtool-valid, unit-tested, each with a runbook; every metric they use is defined."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

import core.metrics  # noqa: F401 - registers every sales_* metric

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
ALERTS = [rule for group in RULES["groups"] for rule in group["rules"] if "alert" in rule]
METRIC_SUFFIXES = ("_bucket", "_count", "_sum")


def _defined_metric_names() -> set[str]:
    names: set[str] = set()
    for collector in list(REGISTRY._collector_to_names):
        describe = getattr(collector, "describe", None)
        families = describe() if describe else collector.collect()
        for family in families:
            names.add(family.name + ("_total" if family.type == "counter" else ""))
    return names


def _used_metric_names(text: str) -> set[str]:
    names = set()
    for name in re.findall(r"\bsales_[a-z_]+\b", text):
        for suffix in METRIC_SUFFIXES:
            if name.endswith(suffix):
                name = name.removesuffix(suffix)
        names.add(name)
    return names


def test_rules_pass_promtool_check(ops):
    result = ops.run(ops.tool("promtool"), "check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_pass_their_promtool_unit_tests(ops):
    result = ops.run(ops.tool("promtool"), "test", "rules", str(PROMETHEUS / "alerts_test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_config_passes_promtool(ops):
    result = ops.run(ops.tool("promtool"), "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_specifications_alerts_are_there():
    names = {alert["alert"] for alert in ALERTS}
    expected = {
        "SalesHighErrorRate",
        "SalesApiSlowP95",
        "SalesDbPoolNearlyExhausted",
        "SalesLeadCreationFailures",
        "SalesConversionDrop",
    }
    assert expected <= names


def test_every_alert_is_unit_tested_firing():
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    fired = {case["alertname"] for test in tests for case in test["alert_rule_test"] if case.get("exp_alerts")}
    assert {alert["alert"] for alert in ALERTS} <= fired


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: a["alert"])
def test_every_alert_has_severity_summary_and_a_runbook_with_rollback(alert):
    assert alert["labels"]["severity"] in {"critical", "warning"}
    assert alert["annotations"]["summary"]
    runbook = ROOT / alert["annotations"]["runbook_url"]
    assert runbook.is_file(), runbook
    text = runbook.read_text()
    assert alert["alert"] in text
    assert "kubectl rollout undo" in text or "rollback.md" in text


def test_metric_names_used_in_queries_are_resolved_to_their_definitions():
    assert _used_metric_names("rate(sales_api_request_duration_seconds_bucket[5m]) sales_nope_total") == {
        "sales_api_request_duration_seconds",
        "sales_nope_total",
    }
    assert "sales_nope_total" not in _defined_metric_names()
    assert {"sales_lead_created_total", "sales_api_request_duration_seconds"} <= _defined_metric_names()


def test_alerts_and_dashboard_use_only_defined_metrics():
    defined = _defined_metric_names()
    used = _used_metric_names((PROMETHEUS / "alerts.yml").read_text())
    used |= _used_metric_names((ROOT / "deploy" / "grafana" / "dashboard.json").read_text())
    assert used - defined == set()
    assert json.loads((ROOT / "deploy" / "grafana" / "dashboard.json").read_text())
