"""Trained models, their cards and their scored output under MODEL_DIR; pages only read from here.

Files: ``<name>_model.joblib`` (the model), ``<name>_card.json`` (how accurate it has been),
``win_scores.parquet`` / ``lead_scores.parquet`` (open deals / open leads scored at training time) and
``backtest.parquet`` + ``backtest_summary.parquet`` + ``forecast_calibration.json`` (written by
``python -m analytics backtest``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import joblib
import polars as pl

from analytics.calibration import Calibration
from core.settings import get_settings

CALIBRATION = "forecast_calibration.json"
SCORES = {"win": "win_scores.parquet", "lead": "lead_scores.parquet"}


def model_dir(path: Path | None = None) -> Path:
    """The folder holding models (MODEL_DIR unless given)."""
    return Path(path) if path is not None else get_settings().model_dir


def _write_atomically(target: Path, write: Any) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    write(tmp)
    os.replace(tmp, target)


def save_model(
    name: str, model: Any, card: dict[str, Any], scores: pl.DataFrame | None, *, folder: Path | None = None
) -> Path:
    """Save a model with joblib, its card as JSON and its scored output as Parquet (each replaced atomically)."""
    base = model_dir(folder)
    _write_atomically(base / f"{name}_model.joblib", lambda p: joblib.dump(model, p))
    _write_atomically(base / f"{name}_card.json", lambda p: p.write_text(json.dumps(card, indent=2, default=str)))
    if scores is not None and name in SCORES:
        _write_atomically(base / SCORES[name], lambda p: scores.write_parquet(p))
    return base


def save_refused(name: str, card: dict[str, Any], *, folder: Path | None = None) -> Path:
    """Record a model that training refused to publish: its card is saved, any earlier model and scores removed.

    Pages then find no model (so nothing suspect is served) and the card says why.
    """
    base = model_dir(folder)
    _write_atomically(base / f"{name}_card.json", lambda p: p.write_text(json.dumps(card, indent=2, default=str)))
    for stale in (base / f"{name}_model.joblib", base / SCORES.get(name, f"{name}_scores.parquet")):
        stale.unlink(missing_ok=True)
    return base


def load_model(name: str, *, folder: Path | None = None) -> Any | None:
    """The saved model called ``name`` ('win' or 'lead'), or None when none is trained yet."""
    path = model_dir(folder) / f"{name}_model.joblib"
    return joblib.load(path) if path.exists() else None


def load_model_card(name: str, *, folder: Path | None = None) -> dict[str, Any] | None:
    """The model card of ``name``, or None when none is trained yet."""
    path = model_dir(folder) / f"{name}_card.json"
    return json.loads(path.read_text()) if path.exists() else None


def win_probabilities(*, folder: Path | None = None) -> pl.DataFrame | None:
    """Open deals scored at training time: opportunity_id, win_probability, reasons, probability_source; or None."""
    path = model_dir(folder) / SCORES["win"]
    if not path.exists():
        return None
    return pl.read_parquet(path, columns=["opportunity_id", "win_probability", "reasons", "probability_source"])


def lead_conversion_probabilities(*, folder: Path | None = None) -> pl.DataFrame | None:
    """Open leads scored at training time: lead_id, conversion_probability, reasons, probability_source; or None."""
    path = model_dir(folder) / SCORES["lead"]
    if not path.exists():
        return None
    return pl.read_parquet(path, columns=["lead_id", "conversion_probability", "reasons", "probability_source"])


def save_backtest(
    points: pl.DataFrame,
    summary: pl.DataFrame,
    *,
    calibration: Calibration | None = None,
    verdict: str | None = None,
    folder: Path | None = None,
) -> None:
    """Save a backtest's per-date rows, its accuracy summary, the band calibration and the verdict sentence."""
    base = model_dir(folder)
    _write_atomically(base / "backtest.parquet", lambda p: points.write_parquet(p))
    _write_atomically(base / "backtest_summary.parquet", lambda p: summary.write_parquet(p))
    if calibration is not None:
        payload = {**calibration.to_json(), "verdict": verdict}
        _write_atomically(base / CALIBRATION, lambda p: Path(p).write_text(json.dumps(payload, indent=2)))


def load_backtest(*, folder: Path | None = None) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The saved backtest (per-date rows, accuracy summary), or None when it has not been run."""
    base = model_dir(folder)
    if not (base / "backtest_summary.parquet").exists():
        return None
    return pl.read_parquet(base / "backtest.parquet"), pl.read_parquet(base / "backtest_summary.parquet")


def load_calibration(*, folder: Path | None = None) -> Calibration | None:
    """The band calibration saved by the last backtest, or None."""
    path = model_dir(folder) / CALIBRATION
    if not path.exists():
        return None
    return Calibration.from_json(json.loads(path.read_text()))


def backtest_mtime(*, folder: Path | None = None) -> float | None:
    """Modification time of the saved backtest (None when there is none): part of the page's cache keys."""
    path = model_dir(folder) / "backtest_summary.parquet"
    return path.stat().st_mtime if path.exists() else None
