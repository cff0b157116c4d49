"""Leakage guard: a model that looks too good to be true is not published, and its card says why.

Two signs that a feature knows the outcome (for example an imported deal's final amount read as its amount
while it was open): the held-out test AUC is at least LEAKY_AUC, or one feature on its own separates the
classes on the test split (AUC ≥ LEAKY_AUC or ≤ 1 − LEAKY_AUC; a categorical feature scored by its
training-split rate per value).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

LEAKY_AUC = 0.99


def single_feature_auc(
    train: pl.DataFrame, test: pl.DataFrame, feature: str, target: str, *, categorical: bool
) -> float | None:
    """How well ``feature`` alone ranks the test split's outcomes (AUC folded to ≥ 0.5); None when undefined."""
    y = test[target].cast(pl.Int8).to_numpy()
    if len(np.unique(y)) < 2:
        return None
    if categorical:
        values = train[feature].cast(pl.String).fill_null("(none)")
        outcome = train[target].cast(pl.Float64)
        overall = float(outcome.mean() or 0.0)  # type: ignore[arg-type]
        rates = pl.DataFrame({"v": values, "y": outcome}).group_by("v").agg(pl.col("y").mean())
        lookup = dict(zip(rates["v"].to_list(), rates["y"].to_list(), strict=True))
        score = np.array([lookup.get(v, overall) for v in test[feature].cast(pl.String).fill_null("(none)")])
    else:
        raw = test[feature].cast(pl.Float64).to_numpy()
        known = raw[~np.isnan(raw)]
        if known.size == 0:
            return None
        score = np.where(np.isnan(raw), known.min() - 1.0, raw)  # unknown is one more value, below the rest
    if np.unique(score).size < 2:
        return None
    auc = float(roc_auc_score(y, score))
    return max(auc, 1.0 - auc)


def leakage_check(
    *,
    test_auc: float | None,
    train: pl.DataFrame,
    test: pl.DataFrame,
    features: list[str],
    categorical: list[str],
    target: str,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The card entry: whether the model is suspect, the separating features and one sentence saying why."""
    labels = labels or {}
    separating = []
    for feature in features:
        auc = single_feature_auc(train, test, feature, target, categorical=feature in categorical)
        if auc is not None and auc >= LEAKY_AUC:
            separating.append({"feature": feature, "label": labels.get(feature, feature), "auc": round(auc, 4)})
    reasons = []
    if test_auc is not None and test_auc >= LEAKY_AUC:
        reasons.append(f"held-out test AUC {test_auc:.3f} ≥ {LEAKY_AUC}")
    for f in separating:
        reasons.append(f"feature '{f['feature']}' ({f['label']}) alone separates the classes (AUC {f['auc']:.3f})")
    message = (
        "Not published, suspected leakage (a feature knows the outcome): " + "; ".join(reasons) + "." if reasons else ""
    )
    return {
        "is_suspect": bool(reasons),
        "threshold_auc": LEAKY_AUC,
        "test_auc": test_auc,
        "separating_features": separating,
        "message": message,
    }
