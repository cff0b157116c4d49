"""The predictive models' scores on pages: win chance beside open deals, conversion chance beside open leads.

Scores are written by ``python -m analytics train`` (``analytics.model_store``); until then every function
here returns None or its input unchanged, so pages look as they did. Reads are cached with the score
file's modification time in the key, so a new training run shows at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl
import streamlit as st

from analytics.filters import MetricFilter
from analytics.lead_model import score_lead_now
from analytics.model_store import SCORES, lead_conversion_probabilities, load_model, model_dir, win_probabilities
from analytics.query import run

ABOUT_LINK = "[About these numbers](/about-numbers)"
WIN_COLUMNS = ("win_probability", "model_reasons")
LEAD_MODEL_INPUTS = ("source", "title", "industry", "country", "employee_count", "annual_revenue", "engagement_score")


def scores_mtime(name: str) -> float | None:
    """Modification time of the scored file of model ``name`` ('win' or 'lead'); None when not trained."""
    path = model_dir() / SCORES[name]
    return path.stat().st_mtime if path.exists() else None


@st.cache_data(ttl=600, show_spinner=False)
def _win_scores(mtime: float, folder: str) -> pl.DataFrame | None:
    frame = win_probabilities()
    return None if frame is None else frame.with_columns(pl.col("opportunity_id").cast(pl.String))


@st.cache_data(ttl=600, show_spinner=False)
def _lead_scores(mtime: float, folder: str) -> pl.DataFrame | None:
    frame = lead_conversion_probabilities()
    return None if frame is None else frame.with_columns(pl.col("lead_id").cast(pl.String))


def win_scores() -> pl.DataFrame | None:
    """Open deals' model win probabilities (opportunity_id, win_probability, reasons, probability_source)."""
    mtime = scores_mtime("win")
    return None if mtime is None else _win_scores(mtime, str(model_dir()))


def lead_scores() -> pl.DataFrame | None:
    """Open leads' model conversion probabilities (lead_id, conversion_probability, reasons, probability_source)."""
    mtime = scores_mtime("lead")
    return None if mtime is None else _lead_scores(mtime, str(model_dir()))


def with_win_chance(deals: pl.DataFrame) -> pl.DataFrame:
    """``deals`` with the model's win probability and its reasons per deal (unchanged without a model)."""
    scores = win_scores()
    if scores is None or "opportunity_id" not in deals.columns or deals.is_empty():
        return deals
    scored = scores.select(
        pl.col("opportunity_id"), pl.col("win_probability"), pl.col("reasons").alias("model_reasons")
    )
    return deals.with_columns(pl.col("opportunity_id").cast(pl.String)).join(
        scored, on="opportunity_id", how="left", maintain_order="left"
    )


def model_weighted_pipeline(filters: MetricFilter, warehouse_time: float) -> dict[str, Any] | None:
    """Open pipeline weighted by the model's win probability (stage probability for deals it has not scored)."""
    mtime = scores_mtime("win")
    if mtime is None:
        return None
    return _model_weighted(filters.to_key(), mtime, warehouse_time, str(model_dir()))


@st.cache_data(ttl=60, show_spinner=False)
def _model_weighted(filter_key: str, mtime: float, warehouse_time: float, folder: str) -> dict[str, Any] | None:
    scores = _win_scores(mtime, folder)
    if scores is None:
        return None
    cond, params = MetricFilter.from_key(filter_key).where()
    deals = run(
        f"SELECT CAST(opportunity_id AS VARCHAR) AS opportunity_id, CAST(amount AS DOUBLE) AS amount, probability "
        f"FROM opportunities WHERE is_open AND {cond}",
        params,
    )
    joined = deals.join(scores, on="opportunity_id", how="left")
    weights = pl.coalesce(pl.col("win_probability"), pl.col("probability"), pl.lit(0.0))
    sources = scores["probability_source"].drop_nulls().unique().sort().to_list()
    return {
        "amount": float(joined.select((pl.col("amount").fill_null(0) * weights).sum()).item() or 0.0),
        "scored": int(joined["win_probability"].is_not_null().sum()),
        "open": deals.height,
        "source": ", ".join(sources) or "model",
    }


def weighted_caption(figure: dict[str, Any]) -> str:
    """Which model (or fallback) weighted the pipeline, how many deals it scored, and where to read more."""
    rest = figure["open"] - figure["scored"]
    tail = f"; {rest:,} newer {'deal at its' if rest == 1 else 'deals at their'} stage probability" if rest else ""
    return (
        f"Model-weighted: each open deal × its win probability from the {figure['source']} "
        f"({figure['scored']:,} of {figure['open']:,} deals scored at training{tail}). See {ABOUT_LINK}."
    )


def conversion_chances(lead_ids: Iterable[Any]) -> dict[str, tuple[float, str]] | None:
    """Conversion probability and reasons for the given leads (missing ones left out); None without a model."""
    scores = lead_scores()
    if scores is None:
        return None
    wanted = pl.Series("lead_id", [str(i) for i in lead_ids], dtype=pl.String)
    rows = scores.filter(pl.col("lead_id").is_in(wanted.implode()))
    return {
        r["lead_id"]: (float(r["conversion_probability"]), r["reasons"] or "")
        for r in rows.iter_rows(named=True)
        if r["conversion_probability"] is not None
    }


OPEN_LEAD_STATUSES = ("new", "contacted", "qualified")  # the leads the model scores (score_open_leads)


@st.cache_resource(show_spinner=False)
def _lead_model(mtime: float, folder: str) -> Any | None:
    return load_model("lead")


def lead_prediction(lead: Any) -> dict[str, Any] | None:
    """The model's conversion probability, reasons and source for one lead; None when not scored.

    A lead edited (or created) after the last training is scored again from its current values
    (``"rescored": True``), so the reasons never describe values the lead no longer has.
    """
    mtime = scores_mtime("lead")
    scores = lead_scores()
    if mtime is None or scores is None:
        return None
    rows = scores.filter(pl.col("lead_id") == str(lead.id)).to_dicts()
    stored = rows[0] if rows and rows[0]["conversion_probability"] is not None else None
    edited_since = lead.updated_at is not None and lead.updated_at.timestamp() > mtime
    if lead.status not in OPEN_LEAD_STATUSES or not (edited_since or stored is None):
        return stored
    model = _lead_model(mtime, str(model_dir()))
    if model is None:
        return stored
    values = {name: getattr(lead, name, None) for name in ("first_name", "company", "status", "score", "created_at")}
    values |= {name: getattr(lead, name, None) for name in LEAD_MODEL_INPUTS}
    return {**score_lead_now(model, {**values, "lead_id": lead.id, "owner_id": lead.owner_id}), "rescored": True}


def percent(value: float | None) -> str:
    """``42%``; an em dash when unknown."""
    return "—" if value is None else f"{value:.0%}"
