"""Predictive lead score: probability a lead converts within CONVERSION_DAYS, with its top factors in words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import polars as pl
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, SplineTransformer, StandardScaler

from analytics.leakage import leakage_check
from analytics.model_eval import (
    calibrated_probabilities,
    feature_importances,
    reasons_in_words,
    score_metrics,
    time_split,
)
from analytics.query import Source, run
from analytics.win_model import _filled, _log1p_filled, fit_pipeline

CATEGORICAL_FEATURES = ["source", "title", "industry", "country", "company_size"]
LOG_FEATURES = ["employee_count", "annual_revenue"]
NUMERIC_FEATURES = ["engagement_score"]
FEATURES = CATEGORICAL_FEATURES + LOG_FEATURES + NUMERIC_FEATURES
FEATURE_LABELS = {
    "source": "Source",
    "title": "Title",
    "industry": "Industry",
    "country": "Country",
    "company_size": "Company size",
    "employee_count": "Employees",
    "annual_revenue": "Annual revenue",
    "engagement_score": "Engagement score",
}
CONVERSION_DAYS = 90
MIN_POSITIVE = 200
MIN_NEGATIVE = 200
SHRINKAGE = 20
MAX_TRAIN_ROWS = 300_000
MODEL_NAME = "lead"

_LEADS_SQL = """
SELECT lead_id, full_name, company, owner_id, owner_name, status, score, created_at, is_converted,
       coalesce(source, '(none)') AS source, coalesce(title, '(none)') AS title,
       coalesce(industry, '(none)') AS industry, coalesce(country, '(none)') AS country,
       CASE WHEN employee_count IS NULL THEN 'unknown' WHEN employee_count < 100 THEN 'small'
            WHEN employee_count < 1000 THEN 'mid-market' ELSE 'enterprise' END AS company_size,
       CAST(employee_count AS DOUBLE) AS employee_count, CAST(annual_revenue AS DOUBLE) AS annual_revenue,
       CAST(engagement_score AS DOUBLE) AS engagement_score,
       coalesce(converted_at < created_at + to_days(?), FALSE) AS converts_in_window
FROM leads WHERE {where} ORDER BY created_at, lead_id
"""


def build_lead_pipeline() -> Pipeline:
    """The unfitted lead model: one-hot categories, log sizes, spline-expanded engagement, logistic regression."""
    prepare = ColumnTransformer(
        [
            (
                "category",
                OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20, sparse_output=False),
                CATEGORICAL_FEATURES,
            ),
            (
                "log",
                make_pipeline(FunctionTransformer(_log1p_filled, feature_names_out="one-to-one"), StandardScaler()),
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
        ]
    )
    return Pipeline([("prepare", prepare), ("model", LogisticRegression(C=0.5, max_iter=2000))])


@dataclass
class LeadModel:
    """A trained lead model (calibrated pipeline) or, when thin, conversion rates per source."""

    source_rates: dict[str, float]
    overall_rate: float
    is_fallback: bool
    calibrated: Any = None
    pipeline: Any = None
    card: dict[str, Any] = field(default_factory=dict)

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        """Probability each lead converts within CONVERSION_DAYS of creation."""
        if frame.height == 0:
            return np.zeros(0)
        if self.is_fallback or self.calibrated is None:
            return np.array([self.source_rates.get(s, self.overall_rate) for s in frame["source"]], dtype=float)
        return calibrated_probabilities(self.calibrated, frame, FEATURES)

    def reasons(self, frame: pl.DataFrame, *, top: int = 3) -> list[str]:
        """Per lead, the factors moving its probability most, in plain words."""
        if self.is_fallback or self.pipeline is None:
            return [
                f"Source {s}: {self.source_rates.get(s, self.overall_rate):.0%} of such leads converted"
                for s in frame["source"]
            ]
        return reasons_in_words(self.pipeline, frame, FEATURES, FEATURE_LABELS, top=top)


def lead_frame(
    *, created_before: dt.datetime | None = None, open_only: bool = False, con: Source = None
) -> pl.DataFrame:
    """Leads with model features and whether each converted within CONVERSION_DAYS."""
    where = "TRUE"
    params: list[Any] = [CONVERSION_DAYS]
    if created_before is not None:
        where, params = "created_at < ?::TIMESTAMPTZ", [CONVERSION_DAYS, created_before]
    if open_only:
        where += " AND NOT is_converted AND status NOT IN ('unqualified', 'converted')"
    return run(_LEADS_SQL.format(where=where), params, con=con)


def train_lead_model(*, con: Source = None, seed: int = 0) -> LeadModel:
    """Train on leads old enough for their outcome to be known, time-split train / calibrate / test."""
    last = run("SELECT max(created_at) AS last FROM leads", con=con)["last"][0]
    card: dict[str, Any] = {"name": MODEL_NAME, "target": f"converted within {CONVERSION_DAYS} days of creation"}
    if last is None:
        card.update(is_fallback=True, fallback_reason="no leads yet")
        return LeadModel(source_rates={}, overall_rate=0.1, is_fallback=True, card=card)
    cutoff = last - dt.timedelta(days=CONVERSION_DAYS)
    leads = lead_frame(created_before=cutoff, con=con)
    positive = int(leads["converts_in_window"].sum()) if leads.height else 0
    negative = leads.height - positive
    card.update(count_converted=positive, count_not_converted=negative, trained_before=str(cutoff), features=FEATURES)
    rates, overall = _source_rates(leads)
    if positive < MIN_POSITIVE or negative < MIN_NEGATIVE:
        card.update(
            is_fallback=True,
            fallback_reason=f"thin history: {positive} converted and {negative} not (needs {MIN_POSITIVE} of each)",
            method=f"conversion rate per source shrunk toward the overall rate ({SHRINKAGE} pseudo-leads)",
            importances=[],
        )
        return LeadModel(source_rates=rates, overall_rate=overall, is_fallback=True, card=card)
    t1, t2 = time_split(leads["created_at"])
    train = leads.filter(pl.col("created_at") < t1)
    calibrate = leads.filter((pl.col("created_at") >= t1) & (pl.col("created_at") < t2))
    test = leads.filter(pl.col("created_at") >= t2)
    card.update(
        training_window={"from": str(leads["created_at"].min()), "to": str(leads["created_at"].max())},
        split_times={"train_before": str(t1), "calibrate_before": str(t2)},
        samples={
            name: {"leads": part.height, "converted": int(part["converts_in_window"].sum())}
            for name, part in (("train", train), ("calibrate", calibrate), ("test", test))
        },
    )
    if train.height > MAX_TRAIN_ROWS:
        train = train.sample(MAX_TRAIN_ROWS, seed=seed)
    pipeline = fit_pipeline(build_lead_pipeline(), train, FEATURES, "converts_in_window")
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method="sigmoid")
    calibrated.fit(calibrate.select(FEATURES).to_pandas(), calibrate["converts_in_window"].to_numpy())
    y_test = test["converts_in_window"].to_numpy()
    p_test = calibrated.predict_proba(test.select(FEATURES).to_pandas())[:, 1]
    test_rates, test_overall = _source_rates(pl.concat([train, calibrate]))
    card.update(
        is_fallback=False,
        method="logistic regression in a scikit-learn Pipeline, sigmoid-calibrated on the calibration split",
        test=score_metrics(y_test, p_test),
        source_baseline=score_metrics(
            y_test, np.array([test_rates.get(s, test_overall) for s in test["source"]], dtype=float)
        ),
        importances=feature_importances(calibrated, test.select(FEATURES), y_test, FEATURES, FEATURE_LABELS, seed=seed),
    )
    card["leakage"] = leakage_check(
        test_auc=card["test"].get("auc"),
        train=train,
        test=test,
        features=FEATURES,
        categorical=CATEGORICAL_FEATURES,
        target="converts_in_window",
        labels=FEATURE_LABELS,
    )
    return LeadModel(
        source_rates=rates, overall_rate=overall, is_fallback=False, calibrated=calibrated, pipeline=pipeline, card=card
    )


def _source_rates(leads: pl.DataFrame) -> tuple[dict[str, float], float]:
    overall = float(leads["converts_in_window"].mean() or 0.0) if leads.height else 0.1  # type: ignore[arg-type]
    grouped = leads.group_by("source").agg(pl.len().alias("n"), pl.col("converts_in_window").sum().alias("k"))
    rates = {r["source"]: (r["k"] + SHRINKAGE * overall) / (r["n"] + SHRINKAGE) for r in grouped.iter_rows(named=True)}
    return rates, overall


def score_open_leads(model: LeadModel, *, con: Source = None) -> pl.DataFrame:
    """Every open lead (not converted or unqualified) with its conversion probability and top factors."""
    leads = lead_frame(open_only=True, con=con)
    return leads.select("lead_id", "full_name", "company", "owner_id", "status", "score").with_columns(
        pl.Series("conversion_probability", model.predict(leads), dtype=pl.Float64),
        pl.Series("reasons", model.reasons(leads), dtype=pl.String),
        pl.lit("source fallback" if model.is_fallback else "calibrated model").alias("probability_source"),
    )


_ONE_LEAD_SCHEMA: dict[str, Any] = {
    "lead_id": pl.String,
    "full_name": pl.String,
    "company": pl.String,
    "owner_id": pl.String,
    "owner_name": pl.String,
    "status": pl.String,
    "score": pl.Float64,
    "created_at": pl.Datetime("us", "UTC"),
    "is_converted": pl.Boolean,
    "converted_at": pl.Datetime("us", "UTC"),
    "source": pl.String,
    "title": pl.String,
    "industry": pl.String,
    "country": pl.String,
    "employee_count": pl.Int64,
    "annual_revenue": pl.Float64,
    "engagement_score": pl.Int64,
}


def score_lead_now(model: LeadModel, lead: Mapping[str, Any]) -> dict[str, Any]:
    """One lead's conversion probability and top factors from its current field values.

    For a lead edited after the last training: its features are built by the same SQL as in
    training (``lead_frame`` over a one-row in-memory table), so there is one definition of them.
    """
    row: dict[str, Any] = {name: lead.get(name) for name in _ONE_LEAD_SCHEMA}
    row["lead_id"] = str(lead.get("lead_id") or lead.get("id") or "")
    row["is_converted"] = bool(lead.get("is_converted") or False)
    row["owner_id"] = None if row["owner_id"] is None else str(row["owner_id"])
    for name in ("score", "annual_revenue"):
        value = row[name]
        row[name] = None if value is None else float(value)
    frame = pl.DataFrame([row], schema=_ONE_LEAD_SCHEMA)
    con = duckdb.connect()
    try:
        con.register("one_lead", frame)
        con.execute("CREATE TABLE leads AS SELECT * FROM one_lead")
        features = lead_frame(con=con)
    finally:
        con.close()
    return {
        "conversion_probability": float(model.predict(features)[0]),
        "reasons": model.reasons(features)[0],
        "probability_source": "source fallback" if model.is_fallback else "calibrated model",
    }
