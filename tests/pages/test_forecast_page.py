"""Forecast page on a small seeded demo: empty state before training, stage fallback said, band and tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, text

from analytics.backtest import summarise
from analytics.calibration import Calibration
from analytics.dimensions import visible_owner_ids
from analytics.model_store import save_backtest
from analytics.query import run
from analytics.training import train_models
from core.settings import get_settings
from crm.actors import Actor
from demo import seed as demo
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


def _people(env_warehouse: Path) -> tuple[Actor, Actor, set[str]]:
    """A demo manager with a team, one of their reps, and the names the manager may see."""
    users = run("SELECT user_id, name, role, team_id FROM users", con=env_warehouse)
    manager = users.filter((pl.col("role") == "manager") & pl.col("team_id").is_not_null()).row(0, named=True)
    boss = Actor(
        id=manager["user_id"], email="m@example.com", name=manager["name"], role="manager", team_id=manager["team_id"]
    )
    visible = set(visible_owner_ids(boss, con=env_warehouse))
    rep = users.filter((pl.col("role") == "rep") & pl.col("user_id").is_in(list(visible))).row(0, named=True)
    rep_actor = Actor(id=rep["user_id"], email="r@example.com", name=rep["name"], role="rep", team_id=rep["team_id"])
    names = set(users.filter(pl.col("user_id").is_in(list(visible)))["name"].to_list())
    return boss, rep_actor, names


def test_a_manager_sees_only_their_teams_deals_and_owners(env, small_demo):
    train_models()
    boss, _, names = _people(small_demo / "warehouse.duckdb")
    at = open_page("forecast", user=boss)
    assert not at.exception
    tables = [df.value for df in at.dataframe]
    deals = next(t for t in tables if "win_probability" in t.columns)
    groups = next(t for t in tables if "p_reach_quota" in t.columns)
    assert len(deals) > 0 and set(deals["owner_name"]) <= names
    assert set(groups["label"]) <= names


def test_a_reps_team_view_shows_their_own_numbers(env, small_demo):
    train_models()
    _, rep, _ = _people(small_demo / "warehouse.duckdb")
    at = open_page("forecast", user=rep)
    own = next(df.value for df in at.dataframe if "p_reach_quota" in df.value.columns)
    at.segmented_control(key="forecast_by").set_value("team").run()
    assert not at.exception
    team = next(df.value for df in at.dataframe if "p_reach_quota" in df.value.columns)
    assert len(own) == len(team) == 1
    assert team["mean"].iloc[0] == pytest.approx(own["mean"].iloc[0])


def _saved_backtest(last_period_error: float, forecast_error: float) -> None:
    """A saved backtest of 20 weekly origins whose errors are known (the forecast's band calibrated on it)."""
    rng = np.random.default_rng(0)
    as_of = [dt.date(2025, 1, 31) + dt.timedelta(days=7 * k) for k in range(20)]
    actual = rng.uniform(900_000, 1_100_000, 20)
    signs = rng.choice([-1.0, 1.0], 20)
    points = pl.DataFrame(
        {
            "as_of": as_of,
            "horizon_end": [d + dt.timedelta(days=90) for d in as_of],
            "actual": actual,
            "p10": actual * 0.8,
            "p50": actual * (1 + forecast_error * signs),
            "p90": actual * 1.2,
            "stage_weighted_pipeline": actual * 0.5,
            "last_period_actual": actual * (1 + last_period_error * signs),
        }
    )
    save_backtest(points, summarise(points), calibration=Calibration(levels={"total": {"lo": -2, "hi": 2}}))


def test_when_a_baseline_has_been_more_accurate_the_headline_says_so_and_shows_it(env):
    train_models()
    _saved_backtest(last_period_error=0.05, forecast_error=0.20)
    at = open_page("forecast")
    assert not at.exception
    shown = texts(at)
    assert "same as last period has been more accurate than the forecast: WAPE 5.0% against 20.0%" in shown
    assert "15.0 points worse" in shown
    labels = [m.label for m in at.metric]
    assert any(label.startswith("Same as last period (most accurate so far)") for label in labels)
    assert any(label.startswith("Forecast P50") for label in labels)
    assert "calibrated on the backtest" in shown


def test_when_the_forecast_has_been_most_accurate_the_headline_says_that(env):
    train_models()
    _saved_backtest(last_period_error=0.20, forecast_error=0.05)
    at = open_page("forecast")
    assert not at.exception
    assert "The forecast has been the most accurate method on this data: WAPE 5.0%" in texts(at)
    assert next(m.label for m in at.metric).startswith("Won value expected")
