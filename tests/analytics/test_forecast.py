"""Win and lead models, forecast and backtest on a seeded demo whose true probabilities are known.

One demo (30,000 leads, about 1,450 won and 3,000 lost deals) is seeded and refreshed into a warehouse once
for the module; the database is emptied afterwards like ``clean_db`` does.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, text

from analytics import cli
from analytics.backtest import run_backtest
from analytics.deal_features import closed_deal_snapshots, data_end
from analytics.forecast import _model_for, forecast
from analytics.lead_model import lead_frame
from analytics.model_store import (
    lead_conversion_probabilities,
    load_calibration,
    load_model,
    load_model_card,
    win_probabilities,
)
from analytics.query import run
from analytics.training import train_models
from analytics.win_model import WinModel, score_open_deals, train_win_model
from core.settings import get_settings
from demo import seed as demo
from etl.refresh import refresh
from tests.conftest import TRUNCATE_ORDER

LEADS = 30_000


@pytest.fixture(scope="module")
def demo_warehouse(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The seeded demo's warehouse, truth file and model folder (WAREHOUSE_PATH / MODEL_DIR point at them)."""
    folder = tmp_path_factory.mktemp("forecast")
    truth = folder / "truth.parquet"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_PATH", str(folder / "warehouse.duckdb"))
        mp.setenv("MODEL_DIR", str(folder / "models"))
        get_settings.cache_clear()
        try:
            demo.seed_demo(leads=LEADS, seed=11, database=database_url, truth_path=truth)
            refresh(full=True, url=database_url, warehouse_path=folder / "warehouse.duckdb")
            yield {
                "warehouse": folder / "warehouse.duckdb",
                "truth": pl.read_parquet(truth),
                "models": folder / "models",
            }
        finally:
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE " + ", ".join(TRUNCATE_ORDER) + " CASCADE"))
            get_settings.cache_clear()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def cards(demo_warehouse: dict) -> dict:
    """Both models trained on the whole demo history and saved under the module's MODEL_DIR (their cards)."""
    return train_models(con=demo_warehouse["warehouse"])


@pytest.fixture(scope="module")
def win_model(cards: dict) -> WinModel:
    """The saved win model."""
    return load_model("win")


def test_training_snapshots_are_taken_while_the_deal_was_open(demo_warehouse):
    wh = demo_warehouse["warehouse"]
    snaps = closed_deal_snapshots(data_end(con=wh), con=wh)
    assert snaps.height > 0
    assert (snaps["snapshot_at"] < snaps["closed_at"]).all()
    assert (snaps["snapshot_at"] > snaps["created_at"]).all()
    assert set(snaps["stage"].unique()) <= {"prospecting", "discovery", "proposal", "negotiation"}
    assert (snaps["days_open"] >= snaps["days_in_stage"] - 1e-6).all()


def test_calibrated_win_model_has_ece_within_005_and_beats_the_stage_baseline(win_model):
    card = win_model.card
    assert not win_model.is_fallback
    assert card["samples"]["test"]["won_deals"] >= 100
    assert card["test"]["ece"] <= 0.05
    assert card["test"]["brier"] < card["stage_baseline"]["brier"]
    assert card["test"]["auc"] > card["stage_baseline"]["auc"]
    assert card["importances"] and card["importances"][0]["importance"] > 0


def test_win_probabilities_track_the_true_probabilities_of_open_deals(demo_warehouse, win_model):
    scored = score_open_deals(win_model, con=demo_warehouse["warehouse"])
    truth = demo_warehouse["truth"].filter(pl.col("entity") == "opportunity").rename({"id": "opportunity_id"})
    joined = scored.join(truth, on="opportunity_id")
    assert joined.height == scored.height > 50
    assert np.corrcoef(joined["win_probability"], joined["p_true"])[0, 1] > 0.3
    assert all(r.count("the chance") == 3 for r in joined["reasons"])


def test_thin_history_falls_back_to_shrunk_stage_rates(demo_warehouse):
    wh = demo_warehouse["warehouse"]
    won_closes = sorted(run("SELECT closed_on FROM opportunities WHERE is_won", con=wh)["closed_on"])
    model = train_win_model(before=won_closes[150] + dt.timedelta(days=1), con=wh)  # at most 150 won deals
    assert model.is_fallback
    assert model.card["count_won"] <= 150
    assert "thin history" in model.card["fallback_reason"]
    rates = model.stage_rates
    assert rates and all(0 < r < 1 for r in rates.values())
    deals = score_open_deals(model, con=wh)
    assert (deals["probability_source"] == "stage fallback").all()
    assert deals["win_probability"].to_list() == [rates.get(s, model.overall_rate) for s in deals["stage"]]
    assert deals["reasons"].str.starts_with("Stage ").all()


def test_lead_model_is_calibrated_and_beats_the_source_baseline(demo_warehouse, cards):
    wh = demo_warehouse["warehouse"]
    model = load_model("lead")
    assert not model.is_fallback
    assert model.card["test"]["ece"] <= 0.05
    assert model.card["test"]["brier"] < model.card["source_baseline"]["brier"]
    leads = lead_frame(con=wh).head(5000)
    truth = demo_warehouse["truth"].filter(pl.col("entity") == "lead").rename({"id": "lead_id"})
    joined = leads.with_columns(pl.Series("p", model.predict(leads))).join(truth, on="lead_id")
    assert np.corrcoef(joined["p"], joined["p_true"])[0, 1] > 0.5


def test_train_saves_cards_and_scored_probabilities_the_pages_read(cards):
    assert set(cards) == {"win", "lead"}
    card = load_model_card("win")
    assert card["training_window"]["from"] and card["samples"]["train"]["deals"] > 0
    assert len(card["test"]["calibration_curve"]) >= 3
    deals = win_probabilities()
    assert deals is not None and deals.height == cards["win"]["count_scored"] > 0
    assert deals["win_probability"].is_between(0, 1).all()
    leads = lead_conversion_probabilities()
    assert leads is not None and leads["conversion_probability"].is_between(0, 1).all()
    assert leads["reasons"].str.len_chars().min() > 0


def test_forecast_bands_are_ordered_and_groups_add_up(demo_warehouse, win_model):
    wh = demo_warehouse["warehouse"]
    as_of = data_end(con=wh) - dt.timedelta(days=60)
    result = forecast(as_of=as_of, months=3, model=win_model, con=wh, simulations=400)
    again = forecast(as_of=as_of, months=3, model=win_model, con=wh, simulations=400)
    assert result.totals == again.totals  # seeded
    assert result.totals["p10"] <= result.totals["p50"] <= result.totals["p90"]
    assert result.by_month.height == 3
    assert (result.by_month["p10"] <= result.by_month["p90"]).all()
    owners = result.by_group.filter(pl.col("dimension") == "owner")
    total = result.by_group.filter(pl.col("dimension") == "total").row(0, named=True)
    assert owners["mean"].sum() == pytest.approx(total["mean"], rel=1e-6)
    assert owners["p_reach_quota"].drop_nulls().is_between(0, 1).all()
    assert result.deals["expected_won_in_horizon"].sum() <= result.deals["amount"].sum()


def test_backtest_intervals_cover_close_to_their_nominal_rate(demo_warehouse):
    points, summary = run_backtest(points=4, months=3, simulations=200, con=demo_warehouse["warehouse"])
    assert points.height == 4
    row = summary.filter(pl.col("method") == "forecast").row(0, named=True)
    assert math.isfinite(row["wape"]) and row["wape"] < 0.3
    assert 0.5 <= row["coverage_months"] <= 1.0  # nominal 80 %
    assert 0.5 <= row["coverage_owners"] <= 1.0
    assert set(summary["method"]) == {"forecast", "stage_weighted_pipeline", "last_period_actual"}


def test_cli_backtest_says_which_method_won_and_the_forecast_then_uses_calibrated_bands(demo_warehouse, capsys):
    assert cli.main(["backtest", "--origins", "3"]) == 0
    out = capsys.readouterr().out
    assert "Backtest: 3 origins" in out and "same as last period" in out and "stage-weighted pipeline" in out
    assert "has been the most accurate method" in out or "has been more accurate than the forecast" in out
    calibration = load_calibration()
    assert calibration is not None and calibration.origins == 3 and "owner" in calibration.levels
    wh = demo_warehouse["warehouse"]
    as_of = data_end(con=wh) - dt.timedelta(days=60)
    raw = forecast(as_of=as_of, months=3, con=wh, simulations=200)
    calibrated = forecast(as_of=as_of, months=3, con=wh, simulations=200, calibration=calibration)
    assert calibrated.calibrated and not raw.calibrated
    assert calibrated.totals["p50"] == raw.totals["p50"]
    owners = calibrated.by_group.filter(pl.col("dimension") == "owner")
    assert (owners["p10"] <= owners["p50"]).all() and (owners["p50"] <= owners["p90"]).all()
    assert cli.main(["forecast", "--months", "2", "--simulations", "200"]) == 0
    assert "bands calibrated on the backtest" in capsys.readouterr().out


def test_cli_forecast_prints_json_totals_and_monthly_rows(demo_warehouse, capsys):
    assert cli.main(["forecast", "--months", "2", "--simulations", "200", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["p10"] <= payload["p50"] <= payload["p90"]
    assert len(payload["rows"]) == 2 and {"month", "p10", "p50", "p90"} <= set(payload["rows"][0])


def test_cli_reports_a_missing_warehouse(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "none.duckdb"))
    get_settings.cache_clear()
    assert cli.main(["forecast", "--json"]) == 2
    assert "python -m etl refresh" in capsys.readouterr().err
    get_settings.cache_clear()


def test_a_past_forecast_uses_a_model_trained_only_on_what_was_known_then(demo_warehouse, cards):
    wh = demo_warehouse["warehouse"]
    latest = _model_for(data_end(con=wh), con=wh)
    assert latest.card["trained_before"] == cards["win"]["trained_before"]  # the saved model
    past = data_end(con=wh) - dt.timedelta(days=200)
    earlier = _model_for(past, con=wh)
    assert earlier.card["trained_before"] == (past + dt.timedelta(days=1)).isoformat()
    assert earlier.card["count_won"] < cards["win"]["count_won"]
