"""The warehouse gauges of ``/metrics``, computed by the analytics definitions (app and API register them)."""

from __future__ import annotations

from pathlib import Path

from analytics.pipeline import open_pipeline_by_stage_and_territory
from core.metrics import ACTIVE_PIPELINE_AMOUNT, refresh_data_as_of_gauge, register_scrape_refresher
from core.warehouse import WarehouseMissing


def export_pipeline_metrics(path: Path | None = None) -> None:
    """Set ``sales_active_pipeline_amount`` from analytics' open pipeline (no-op without a warehouse)."""
    try:
        pipeline = open_pipeline_by_stage_and_territory(con=path)
    except WarehouseMissing:
        return
    ACTIVE_PIPELINE_AMOUNT.clear()
    for row in pipeline.iter_rows(named=True):
        ACTIVE_PIPELINE_AMOUNT.labels(stage=row["stage"], territory=row["territory"]).set(row["amount"] or 0.0)


def refresh_warehouse_gauges(path: Path | None = None) -> None:
    """Set open pipeline and data-as-of from the serving warehouse (or ``path``); no-op if none yet."""
    export_pipeline_metrics(path)
    refresh_data_as_of_gauge(path)


def enable_warehouse_gauges(*, every_seconds: float = 60.0) -> None:
    """Serve the warehouse-derived gauges from this process (app and API call this once)."""
    register_scrape_refresher("warehouse", refresh_warehouse_gauges, every_seconds=every_seconds)
