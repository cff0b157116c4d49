"""How accurate a probability model has been: AUC, Brier, calibration, importances, time-based splits."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.inspection import permutation_importance
from sklearn.metrics import brier_score_loss, roc_auc_score

CALIBRATION_BINS = 10
IMPORTANCE_ROWS = 20_000


def time_split(times: pl.Series, *, train_share: float = 0.6, calibrate_share: float = 0.2) -> tuple[Any, Any]:
    """The two cut times T1 < T2: train before T1, calibrate on T1–T2, test from T2 (quantiles of ``times``)."""
    ordered = times.sort()
    t1 = ordered[int(len(ordered) * train_share)]
    t2 = ordered[min(int(len(ordered) * (train_share + calibrate_share)), len(ordered) - 1)]
    return t1, t2


def calibration_bins(y: np.ndarray, p: np.ndarray, *, bins: int = CALIBRATION_BINS) -> list[dict[str, float]]:
    """Equal-width bins of predicted probability: count, mean prediction and observed rate per non-empty bin."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append(
                {
                    "bin_low": b / bins,
                    "bin_high": (b + 1) / bins,
                    "count": int(mask.sum()),
                    "mean_predicted": float(p[mask].mean()),
                    "observed_rate": float(y[mask].mean()),
                }
            )
    return out


def expected_calibration_error(y: np.ndarray, p: np.ndarray, *, bins: int = CALIBRATION_BINS) -> float:
    """ECE: the count-weighted mean |observed rate − mean prediction| over equal-width bins."""
    table = calibration_bins(y, p, bins=bins)
    total = sum(row["count"] for row in table)
    return float(sum(row["count"] * abs(row["observed_rate"] - row["mean_predicted"]) for row in table) / total)


def score_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """AUC, Brier score, ECE, the calibration curve and the sample behind them."""
    y = np.asarray(y, dtype=int)
    both = len(np.unique(y)) == 2
    return {
        "count": len(y),
        "count_positive": int(y.sum()),
        "auc": float(roc_auc_score(y, p)) if both else None,
        "brier": float(brier_score_loss(y, p)) if len(y) else None,
        "ece": expected_calibration_error(y, p) if len(y) else None,
        "calibration_curve": calibration_bins(y, p),
    }


def feature_importances(
    model: Any, frame: pl.DataFrame, y: np.ndarray, features: list[str], labels: dict[str, str], *, seed: int = 0
) -> list[dict[str, Any]]:
    """Permutation importance on a test split: how much the Brier score worsens when a feature is shuffled."""
    if frame.height > IMPORTANCE_ROWS:
        idx = np.random.default_rng(seed).choice(frame.height, IMPORTANCE_ROWS, replace=False)
        frame, y = frame[idx], np.asarray(y)[idx]
    if frame.height < 20 or len(np.unique(y)) < 2:
        return []
    result = permutation_importance(
        model, frame.to_pandas(), y, scoring="neg_brier_score", n_repeats=3, random_state=seed, n_jobs=1
    )
    rows = [
        {"feature": f, "label": labels.get(f, f), "importance": float(m), "std": float(s)}
        for f, m, s in zip(features, result.importances_mean, result.importances_std, strict=True)
    ]
    return sorted(rows, key=lambda r: -r["importance"])


def explain(model_pipeline: Any, frame: pl.DataFrame, features: list[str], *, top: int = 3) -> list[list[tuple]]:
    """Per row, the ``top`` features moving a linear model's log-odds most: (feature, contribution), largest first.

    A contribution is coefficient × (transformed value − the training mean of that column), summed over the
    columns one input feature expands into.
    """
    pre = model_pipeline.named_steps["prepare"]
    est = model_pipeline.named_steps["model"]
    transformed = pre.transform(frame.to_pandas())
    if hasattr(transformed, "toarray"):
        transformed = transformed.toarray()
    centre = model_pipeline.training_column_means_
    contrib = (np.asarray(transformed) - centre) * est.coef_[0]
    names = pre.get_feature_names_out()
    owner = np.array([_source_feature(n, features) for n in names])
    per_feature = np.column_stack([contrib[:, owner == f].sum(axis=1) for f in features])
    order = np.argsort(-np.abs(per_feature), axis=1)[:, :top]
    return [[(features[j], float(per_feature[i, j])) for j in order[i]] for i in range(len(per_feature))]


def _source_feature(column: str, features: list[str]) -> str:
    """The input feature a transformed column came from (``kind__feature_value`` → feature)."""
    rest = column.split("__", 1)[-1]
    for f in sorted(features, key=len, reverse=True):
        if rest == f or rest.startswith(f + "_"):
            return f
    return rest


def calibrated_probabilities(calibrated: Any, frame: pl.DataFrame, features: list[str]) -> np.ndarray:
    """The positive-class probability of a fitted calibrated pipeline for each row of ``frame``."""
    return calibrated.predict_proba(frame.select(features).to_pandas())[:, 1]


def reasons_in_words(
    model_pipeline: Any,
    frame: pl.DataFrame,
    features: list[str],
    labels: dict[str, str],
    *,
    percent: tuple[str, ...] = (),
    top: int = 3,
) -> list[str]:
    """Per row, the ``top`` features moving its probability most, in words ('Stage negotiation raises the chance').

    ``labels`` names the features; values of the ``percent`` features are shown as percentages.
    """
    rows = frame.select(features)
    explained = explain(model_pipeline, rows, features, top=top)
    values = {f: rows[f].to_list() for f in features}
    return [
        "; ".join(effect_in_words(labels.get(f, f), values[f][i], c, percent=f in percent) for f, c in parts)
        for i, parts in enumerate(explained)
    ]


def effect_in_words(label: str, value: Any, contribution: float, *, percent: bool = False) -> str:
    """One factor in plain words: 'Stage negotiation raises the chance'."""
    shown = (f"{value:.0%}" if percent else f"{value:,.0f}") if isinstance(value, float) else str(value)
    return f"{label} {shown} {'raises' if contribution > 0 else 'lowers'} the chance"
