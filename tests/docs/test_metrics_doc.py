"""docs/metrics.md defines every model and forecast metric the Forecast page shows, and links forecasting.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def _forecast_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"^## Forecast.*?(?=^## )", text, re.S | re.M)
    assert match, "docs/metrics.md has no Forecast section"
    return match.group(0)


@pytest.mark.parametrize(
    "metric",
    [
        "Win probability",
        "Predictive lead score",
        "Forecast won value",
        "p_reach_quota",
        "WAPE",
        "Bias",
        "Interval coverage",
        "ECE",
        "Brier",
        "AUC",
    ],
)
def test_forecast_section_has_a_row_per_metric_with_a_grain_and_formula(metric):
    rows = [line for line in _forecast_section().splitlines() if line.replace("`", "").startswith(f"| {metric}")]
    assert len(rows) == 1
    assert len([cell for cell in rows[0].strip("|").split(" | ") if cell.strip()]) == 3


def test_forecast_section_links_forecasting_doc_and_states_wape():
    section = _forecast_section()
    assert "(forecasting.md)" in section
    assert r"Σ\|forecast − actual\| / Σ actual" in section
