"""Win probability for open deals: a calibrated scikit-learn Pipeline, or stage rates when history is thin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, SplineTransformer, StandardScaler

from analytics.deal_features import closed_deal_snapshots, data_end, open_deal_features
from analytics.leakage import leakage_check
from analytics.model_eval import (
    calibrated_probabilities,
    feature_importances,
    reasons_in_words,
    score_metrics,
    time_split,
)
from analytics.query import Source

CATEGORICAL_FEATURES = ["stage", "source", "account_industry", "company_size"]
LOG_FEATURES = ["amount", "employee_count"]
NUMERIC_FEATURES = [
    "days_open",
    "days_in_stage",
    "days_to_expected_close",
    "count_close_date_pushes",
    "count_amount_changes",
    "owner_win_rate",
    "engagement_score",
]
# Flags (0/1) enter as they are: 'is_overdue' = the expected close date has passed on the snapshot day.
FLAG_FEATURES = ["is_overdue"]
FEATURES = CATEGORICAL_FEATURES + LOG_FEATURES + NUMERIC_FEATURES + FLAG_FEATURES
FEATURE_LABELS = {
    "stage": "Stage",
    "source": "Lead source",
    "account_industry": "Industry",
    "company_size": "Company size",
    "amount": "Deal amount",
    "employee_count": "Employees",
    "days_open": "Days open",
    "days_in_stage": "Days in current stage",
    "days_to_expected_close": "Days to expected close",
    "is_overdue": "Past its expected close date",
    "count_close_date_pushes": "Close date pushed",
    "count_amount_changes": "Amount changed",
    "owner_win_rate": "Owner's win rate so far",
    "engagement_score": "Engagement score",
}
MIN_WON = 200
MIN_LOST = 200
SHRINKAGE = 20  # pseudo-deals pulling each stage's rate toward the overall rate
MAX_TRAIN_ROWS = 300_000
MODEL_NAME = "win"


def build_win_pipeline() -> Pipeline:
    """The unfitted model: one-hot categories, log amounts, spline-expanded numbers, flags, logistic regression."""
    prepare = ColumnTransformer(
        [
            (
                "category",
                OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20, sparse_output=False),
                CATEGORICAL_FEATURES,
            ),
            (
                "log",
                make_pipeline(
                    FunctionTransformer(_log1p_filled, feature_names_out="one-to-one"),
                    StandardScaler(),
                ),
                LOG_FEATURES,
            ),
            (
                "number",
                make_pipeline(
                    FunctionTransformer(_filled, feature_names_out="one-to-one"),
                    StandardScaler(),
                    SplineTransformer(n_knots=4, degree=2, knots="quantile"),
                ),
                NUMERIC_FEATURES,
            ),
            ("flag", FunctionTransformer(_filled, feature_names_out="one-to-one"), FLAG_FEATURES),
        ]
    )
    return Pipeline([("prepare", prepare), ("model", LogisticRegression(C=0.5, max_iter=2000))])


def _filled(x: Any) -> Any:
    return np.nan_to_num(np.asarray(x, dtype=float), nan=0.0)


def _log1p_filled(x: Any) -> Any:
    return np.log1p(np.clip(_filled(x), 0, None))


@dataclass
class WinModel:
    """A trained win model: the calibrated pipeline (None when falling back) and the stage rates."""

    stage_rates: dict[str, float]
    overall_rate: float
    is_fallback: bool
    calibrated: Any = None
    pipeline: Any = None
    card: dict[str, Any] = field(default_factory=dict)

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        """Probability each deal in ``frame`` (features as of a snapshot) is eventually won."""
        if frame.height == 0:
            return np.zeros(0)
        if self.is_fallback or self.calibrated is None:
            return stage_probabilities(frame, self.stage_rates, self.overall_rate)
        return calibrated_probabilities(self.calibrated, frame, FEATURES)

    def reasons(self, frame: pl.DataFrame, *, top: int = 3) -> list[str]:
        """Per deal, the features moving its probability most, in plain words."""
        if self.is_fallback or self.pipeline is None:
            return [
                f"Stage {s}: {self.stage_rates.get(s, self.overall_rate):.0%} of such deals won" for s in frame["stage"]
            ]
        return reasons_in_words(self.pipeline, frame, FEATURES, FEATURE_LABELS, percent=("owner_win_rate",), top=top)


def stage_rates_from(frame: pl.DataFrame) -> tuple[dict[str, float], float]:
    """Won share of snapshots per stage, shrunk toward the overall rate by SHRINKAGE pseudo-deals."""
    overall = float(frame["is_won"].mean() or 0.0) if frame.height else 0.3  # type: ignore[arg-type]
    grouped = frame.group_by("stage").agg(pl.len().alias("n"), pl.col("is_won").sum().alias("won"))
    rates = {r["stage"]: (r["won"] + SHRINKAGE * overall) / (r["n"] + SHRINKAGE) for r in grouped.iter_rows(named=True)}
    return rates, overall


def stage_probabilities(frame: pl.DataFrame, rates: dict[str, float], overall: float) -> np.ndarray:
    """The stage-only probability of each row (the overall rate for a stage never seen)."""
    return np.array([rates.get(s, overall) for s in frame["stage"]], dtype=float)


def train_win_model(*, before: dt.date | None = None, con: Source = None, seed: int = 0) -> WinModel:
    """Train on deals closed before ``before`` (default: the warehouse's last day + 1), time-split three ways."""
    before = before or data_end(con=con) + dt.timedelta(days=1)
    snaps = closed_deal_snapshots(before, con=con)
    deals = snaps.unique("opportunity_id")
    won, lost = int(deals["is_won"].sum()), int((~deals["is_won"]).sum())
    card: dict[str, Any] = {
        "name": MODEL_NAME,
        "trained_before": before.isoformat(),
        "count_won": won,
        "count_lost": lost,
    }
    if snaps.height == 0:
        card.update(is_fallback=True, fallback_reason="no closed deals yet")
        return WinModel(stage_rates={}, overall_rate=0.3, is_fallback=True, card=card)
    t1, t2 = time_split(snaps["closed_at"])
    train = snaps.filter(pl.col("closed_at") < t1)
    calibrate = snaps.filter((pl.col("closed_at") >= t1) & (pl.col("closed_at") < t2))
    test = snaps.filter(pl.col("closed_at") >= t2)
    card.update(
        training_window={"from": str(snaps["closed_at"].min()), "to": str(snaps["closed_at"].max())},
        split_times={"train_before": str(t1), "calibrate_before": str(t2)},
        samples={name: _sample(part) for name, part in (("train", train), ("calibrate", calibrate), ("test", test))},
        features=FEATURES,
    )
    y_test = test["is_won"].to_numpy()
    rates, overall = stage_rates_from(pl.concat([train, calibrate]))
    card["stage_baseline"] = _metrics(y_test, stage_probabilities(test, rates, overall))
    thin = won < MIN_WON or lost < MIN_LOST or min(train.height, calibrate.height, test.height) < 50
    if thin or train["is_won"].n_unique() < 2 or calibrate["is_won"].n_unique() < 2:
        rates_all, overall_all = stage_rates_from(snaps)
        card.update(
            is_fallback=True,
            fallback_reason=f"thin history: {won} won and {lost} lost deals (needs {MIN_WON} of each)",
            method=f"stage win rates shrunk toward the overall rate ({SHRINKAGE} pseudo-deals)",
            test=card["stage_baseline"],
            stage_rates=rates_all,
            importances=[],
        )
        card["leakage"] = leakage_check(
            test_auc=card["test"].get("auc"),
            train=pl.concat([train, calibrate]),
            test=test,
            features=["stage"],
            categorical=["stage"],
            target="is_won",
            labels=FEATURE_LABELS,
        )
        return WinModel(stage_rates=rates_all, overall_rate=overall_all, is_fallback=True, card=card)
    if train.height > MAX_TRAIN_ROWS:
        train = train.sample(MAX_TRAIN_ROWS, seed=seed)
    pipeline = fit_pipeline(build_win_pipeline(), train, FEATURES, "is_won")
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method="sigmoid")
    calibrated.fit(calibrate.select(FEATURES).to_pandas(), calibrate["is_won"].to_numpy())
    p_test = calibrated.predict_proba(test.select(FEATURES).to_pandas())[:, 1]
    card.update(
        is_fallback=False,
        method="logistic regression in a scikit-learn Pipeline, sigmoid-calibrated on the calibration split",
        test=_metrics(y_test, p_test),
        stage_rates=rates,
        importances=feature_importances(calibrated, test.select(FEATURES), y_test, FEATURES, FEATURE_LABELS, seed=seed),
    )
    card["leakage"] = leakage_check(
        test_auc=card["test"].get("auc"),
        train=train,
        test=test,
        features=FEATURES,
        categorical=CATEGORICAL_FEATURES,
        target="is_won",
        labels=FEATURE_LABELS,
    )
    return WinModel(
        stage_rates=rates, overall_rate=overall, is_fallback=False, calibrated=calibrated, pipeline=pipeline, card=card
    )


def fit_pipeline(pipeline: Pipeline, frame: pl.DataFrame, features: list[str], target: str) -> Pipeline:
    """Fit a Pipeline and remember its transformed training means (the centre for per-row reasons)."""
    x = frame.select(features).to_pandas()
    pipeline.fit(x, frame[target].to_numpy())
    transformed = pipeline.named_steps["prepare"].transform(x)
    pipeline.training_column_means_ = np.asarray(transformed).mean(axis=0)
    return pipeline


def score_open_deals(model: WinModel, *, as_of: dt.date | None = None, con: Source = None) -> pl.DataFrame:
    """Every deal open at the end of ``as_of`` with its win probability and reasons."""
    as_of = as_of or data_end(con=con)
    deals = open_deal_features(as_of, con=con)
    return deals.with_columns(
        pl.Series("win_probability", model.predict(deals), dtype=pl.Float64),
        pl.Series("reasons", model.reasons(deals), dtype=pl.String),
        pl.lit("stage fallback" if model.is_fallback else "calibrated model").alias("probability_source"),
    )


def _sample(part: pl.DataFrame) -> dict[str, int]:
    return {
        "snapshots": part.height,
        "deals": part["opportunity_id"].n_unique(),
        "won_deals": part.filter(pl.col("is_won"))["opportunity_id"].n_unique(),
    }


def _metrics(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    return score_metrics(y, p) if len(y) else {"count": 0}
