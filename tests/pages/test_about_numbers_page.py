"""About these numbers: empty state, then each model card with its metrics and what moves the score."""

from __future__ import annotations

import json

from tests.pages.dashboard_support import open_page, texts


def _card(name: str, *, fallback: bool) -> dict:
    curve = [{"bin_low": 0.2, "bin_high": 0.3, "count": 40, "mean_predicted": 0.25, "observed_rate": 0.27}]
    return {
        "name": name,
        "is_fallback": fallback,
        "fallback_reason": "thin history: 12 won and 30 lost deals (needs 200 of each)",
        "method": "stage win rates" if fallback else "logistic regression",
        "training_window": {"from": "2025-01-01", "to": "2026-06-30"},
        "samples": {"train": {"deals": 600}, "calibrate": {"deals": 200}, "test": {"deals": 200}},
        "test": {"count": 200, "auc": 0.71, "brier": 0.2, "ece": 0.03, "calibration_curve": curve},
        "stage_baseline": {"count": 200, "auc": 0.6, "brier": 0.22, "ece": 0.02, "calibration_curve": curve},
        "importances": [{"feature": "stage", "label": "Stage", "importance": 0.02, "std": 0.001}],
    }


def test_before_training_the_page_says_how_to_train(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    from core.settings import get_settings

    get_settings.cache_clear()
    at = open_page("about_numbers")
    assert not at.exception
    assert "python -m analytics train" in texts(at)
    get_settings.cache_clear()


def test_each_card_shows_window_samples_metrics_calibration_and_importance(tmp_path, monkeypatch):
    (tmp_path / "win_card.json").write_text(json.dumps(_card("win", fallback=False)))
    (tmp_path / "lead_card.json").write_text(json.dumps(_card("lead", fallback=True)))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    from core.settings import get_settings

    get_settings.cache_clear()
    at = open_page("about_numbers")
    assert not at.exception
    shown = texts(at)
    assert "2025-01-01" in shown and "train" in shown
    assert "Fallback in use — thin history" in shown
    assert len(at.get("plotly_chart")) == 2
    metrics = [df.value for df in at.dataframe if "brier" in df.value.columns]
    assert list(metrics[0]["model"]) == ["Model", "Stage-only baseline"]
    assert any("importance" in df.value.columns for df in at.dataframe)
    get_settings.cache_clear()


def test_a_refused_model_shows_why_in_red(tmp_path, monkeypatch):
    card = _card("win", fallback=False)
    message = "Not published, suspected leakage (a feature knows the outcome): feature 'amount' alone separates"
    card.update(published=False, leakage={"is_suspect": True, "message": message})
    (tmp_path / "win_card.json").write_text(json.dumps(card))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    from core.settings import get_settings

    get_settings.cache_clear()
    at = open_page("about_numbers")
    assert not at.exception
    assert [e.value for e in at.error] == [message]
    get_settings.cache_clear()
