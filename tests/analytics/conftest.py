"""A tiny hand-computed warehouse file, built once per session (no ETL, no PostgreSQL); metrics only read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.analytics.tiny_warehouse import build_empty_warehouse, build_warehouse


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-computed warehouse (see tests/analytics/tiny_warehouse.py for the numbers)."""
    return build_warehouse(tmp_path_factory.mktemp("tiny") / "tiny.duckdb")


@pytest.fixture(scope="session")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with every mart and no rows."""
    return build_empty_warehouse(tmp_path_factory.mktemp("empty") / "empty.duckdb")
