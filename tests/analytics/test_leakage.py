"""The leakage guard: a feature that knows the outcome trips it, names itself, and the model is not published."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score
from sqlalchemy import Engine

from analytics.cli import EXIT_REFUSED, main
from analytics.leakage import LEAKY_AUC, leakage_check
from analytics.win_model import CATEGORICAL_FEATURES, FEATURES, build_win_pipeline, fit_pipeline
from core.settings import get_settings
from etl.refresh import refresh
from tests.crm.import_support import run_import


def _deals(n: int, *, leak: bool, seed: int = 7) -> pl.DataFrame:
    """Snapshots of deals with every win-model feature; with ``leak`` the amount is 0 exactly when lost."""
    rng = np.random.default_rng(seed)
    won = rng.random(n) < 0.5
    honest_amount = np.round(rng.lognormal(8, 1, n))
    return pl.DataFrame(
        {
            "stage": rng.choice(["prospecting", "discovery", "proposal", "negotiation"], n),
            "source": rng.choice(["web", "referral", "event"], n),
            "account_industry": rng.choice(["tech", "retail", "health"], n),
            "company_size": rng.choice(["small", "mid-market", "enterprise"], n),
            "amount": np.where(won, honest_amount + 100, 0.0) if leak else honest_amount,
            "employee_count": rng.integers(5, 5000, n).astype(float),
            "days_open": rng.uniform(0, 200, n),
            "days_in_stage": rng.uniform(0, 60, n),
            "days_to_expected_close": rng.normal(30, 40, n),
            "is_overdue": rng.random(n) < 0.2,
            "count_close_date_pushes": rng.integers(0, 3, n).astype(float),
            "count_amount_changes": rng.integers(0, 2, n).astype(float),
            "owner_win_rate": rng.uniform(0.2, 0.6, n),
            "engagement_score": rng.uniform(0, 100, n),
            "is_won": won,
        }
    ).select(*FEATURES, "is_won")


def _train_and_check(frame: pl.DataFrame) -> dict:
    train, test = frame[:600], frame[600:]
    pipeline = fit_pipeline(build_win_pipeline(), train, FEATURES, "is_won")
    p = pipeline.predict_proba(test.select(FEATURES).to_pandas())[:, 1]
    auc = float(roc_auc_score(test["is_won"].to_numpy(), p))
    return leakage_check(
        test_auc=auc, train=train, test=test, features=FEATURES, categorical=CATEGORICAL_FEATURES, target="is_won"
    )


def test_a_perfectly_separating_feature_trips_the_guard_and_is_named() -> None:
    check = _train_and_check(_deals(1000, leak=True))

    assert check["is_suspect"]
    assert check["test_auc"] >= LEAKY_AUC
    assert [f["feature"] for f in check["separating_features"]] == ["amount"]
    assert "'amount'" in check["message"] and "Not published" in check["message"]


def test_honest_features_pass_the_guard() -> None:
    check = _train_and_check(_deals(1000, leak=False))

    assert not check["is_suspect"]
    assert check["separating_features"] == [] and check["message"] == ""
    assert check["test_auc"] < 0.7


def _leads_csv(n: int) -> bytes:
    """Leads over two years: exactly the converted ones have engagement ≥ 80 (the column knows the outcome)."""
    rng = np.random.default_rng(3)
    start = dt.date(2023, 1, 1)
    rows = ["email,company,source,industry,engagement_score,status,created_at"]
    for i in range(n):
        converted = rng.random() < 0.4
        engagement = rng.integers(80, 101) if converted else rng.integers(0, 40)
        created = start + dt.timedelta(days=int(i * 730 / n))
        rows.append(
            f"lead{i}@example.com,Company {i},{rng.choice(['web', 'referral', 'event'])},"
            f"{rng.choice(['technology', 'retail'])},{engagement},{'converted' if converted else 'contacted'},{created}"
        )
    return ("\n".join(rows) + "\n").encode()


def test_train_refuses_to_publish_a_leaking_model_and_its_card_says_which_feature(
    clean_db: Engine,
    database_url: str,
    warehouse_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = run_import(clean_db, entity="leads", source=_leads_csv(1200))
    assert report.error_count == 0, report.errors[:3]
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    models = tmp_path / "models"
    models.mkdir()
    (models / "lead_model.joblib").write_bytes(b"an earlier model")  # must not stay published
    monkeypatch.setenv("MODEL_DIR", str(models))
    get_settings.cache_clear()

    code = main(["train"])

    assert code == EXIT_REFUSED
    card = json.loads((models / "lead_card.json").read_text())
    assert card["published"] is False and card["leakage"]["is_suspect"]
    assert "engagement_score" in [f["feature"] for f in card["leakage"]["separating_features"]]
    assert not (models / "lead_model.joblib").exists() and not (models / "lead_scores.parquet").exists()
    assert "lead: REFUSED" in capsys.readouterr().err and "'engagement_score'" in card["leakage"]["message"]
    assert json.loads((models / "win_card.json").read_text())["published"] is True  # no deals: a fallback, kept
    get_settings.cache_clear()
