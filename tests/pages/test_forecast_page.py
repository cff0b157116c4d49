"""Forecast page on a small seeded demo: empty state before training, stage fallback said, band and tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from analytics.training import train_models
from core.settings import get_settings
from crm import demo
from etl.refresh import refresh
from tests.conftest import TRUNCATE_ORDER
from tests.pages.dashboard_support import open_page, texts


@pytest.fixture(scope="module")
def small_demo(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 2,000-lead demo in a warehouse of the module's own (too thin for the model: stage fallback)."""
    folder = tmp_path_factory.mktemp("forecast_page")
    try:
        demo.seed_demo(leads=2000, seed=5, database=database_url)
        refresh(full=True, url=database_url, warehouse_path=folder / "warehouse.duckdb")
        yield folder
    finally:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(TRUNCATE_ORDER) + " CASCADE"))


@pytest.fixture
def env(small_demo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("WAREHOUSE_PATH", str(small_demo / "warehouse.duckdb"))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield tmp_path / "models"
    get_settings.cache_clear()


def test_without_a_trained_model_the_page_says_how_to_train(env):
    at = open_page("forecast")
    assert not at.exception
    assert "python -m analytics train" in texts(at)


def test_thin_history_shows_the_stage_fallback_band_and_tables(env):
    cards = train_models()
    assert cards["win"]["is_fallback"]
    at = open_page("forecast")
    assert not at.exception
    shown = texts(at)
    assert "History is thin" in shown and "stage win rates" in shown
    assert "python -m analytics backtest" in shown
    assert len(at.get("plotly_chart")) == 1
    tables = [df.value for df in at.dataframe]
    assert any("p_reach_quota" in t.columns for t in tables)
    deals = next(t for t in tables if "win_probability" in t.columns)
    assert deals["reasons"].str.startswith("Stage ").all()
