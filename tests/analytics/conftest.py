"""A tiny hand-computed warehouse file per test (no ETL, no PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.analytics.tiny_warehouse import build_empty_warehouse, build_warehouse


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """The hand-computed warehouse (see tests/analytics/tiny_warehouse.py for the numbers)."""
    return build_warehouse(tmp_path / "tiny.duckdb")


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    """A warehouse with every mart and no rows."""
    return build_empty_warehouse(tmp_path / "empty.duckdb")
