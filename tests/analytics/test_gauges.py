"""The /metrics pipeline gauge is analytics' open pipeline, read from the same warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from analytics.gauges import refresh_warehouse_gauges
from analytics.pipeline import open_pipeline_by, open_pipeline_by_stage_and_territory


def _gauge() -> dict[tuple[str, str], float]:
    return {
        (s.labels["stage"], s.labels["territory"]): s.value
        for family in REGISTRY.collect()
        if family.name == "sales_active_pipeline_amount"
        for s in family.samples
    }


def test_active_pipeline_gauge_equals_analytics_open_pipeline(tiny: Path) -> None:
    refresh_warehouse_gauges(tiny)
    gauge = _gauge()
    figures = open_pipeline_by_stage_and_territory(con=tiny)
    assert gauge and gauge == {(r["stage"], r["territory"]): r["amount"] for r in figures.iter_rows(named=True)}
    by_stage = {r["key"]: r["amount"] for r in open_pipeline_by("stage", con=tiny).iter_rows(named=True)}
    for stage, amount in by_stage.items():
        assert sum(v for (s, _), v in gauge.items() if s == stage) == pytest.approx(amount)
    by_territory = open_pipeline_by("territory", con=tiny)
    assert sum(gauge.values()) == pytest.approx(by_territory["amount"].sum())
