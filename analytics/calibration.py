"""P10–P90 bands calibrated on the forecast's own rolling-origin residuals.

The simulated band is often too narrow (deals are simulated as independent, the run rate is split by fixed
owner shares). Each backtest unit (an origin's total, one of its months, one owner's horizon) gives a score
``s = (actual − P50) / scale`` with ``scale = max((P90 − P10) / 2, 10 % of P50, 1)``: the residual in units of
the band's half-width. Per level the calibrated band is ``P50 ± q × scale``, where ``q`` is the split-conformal
80 % quantile of past |scores| (absolute residuals scaled by band width; symmetric, so a few origins that
happened to be biased one way do not shift the band). Below MIN_SCORES scores the simulated band is kept.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

LEVELS = ("total", "month", "owner")
MIN_SCORES = 5
RELATIVE_FLOOR = 0.10
COVERAGE = 0.80  # P10–P90


@dataclass
class Calibration:
    """Per level (total, month, owner): the score quantiles ``lo``/``hi`` and how many scores they rest on."""

    levels: dict[str, dict[str, float]] = field(default_factory=dict)
    origins: int = 0
    last_origin: str | None = None

    def bounds(self, level: str) -> tuple[float, float] | None:
        """(lo, hi) of a level, or None when it is not calibrated."""
        entry = self.levels.get(level)
        return (entry["lo"], entry["hi"]) if entry else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (saved beside the backtest)."""
        return {"levels": self.levels, "origins": self.origins, "last_origin": self.last_origin}

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Calibration:
        """The calibration saved by ``to_json``."""
        return cls(
            levels={k: dict(v) for k, v in payload.get("levels", {}).items()},
            origins=int(payload.get("origins", 0)),
            last_origin=payload.get("last_origin"),
        )

    def dumps(self) -> str:
        """The calibration as JSON text."""
        return json.dumps(self.to_json(), indent=2)


def scale(p10: np.ndarray, p50: np.ndarray, p90: np.ndarray) -> np.ndarray:
    """The band's half-width, at least RELATIVE_FLOOR of |P50| and at least 1."""
    return np.maximum.reduce([(np.asarray(p90) - np.asarray(p10)) / 2, RELATIVE_FLOOR * np.abs(p50), np.ones_like(p50)])


def scores(frame: pl.DataFrame) -> np.ndarray:
    """(actual − P50) / scale per unit."""
    p10, p50, p90 = (frame[c].to_numpy().astype(float) for c in ("p10", "p50", "p90"))
    return (frame["actual"].to_numpy().astype(float) - p50) / scale(p10, p50, p90)


def score_bounds(values: np.ndarray) -> dict[str, float] | None:
    """The calibrated band (lo, hi) = ∓ the conformal COVERAGE quantile of |score|, or None with too few scores.

    Split-conformal: the ⌈(n + 1) × COVERAGE⌉-th smallest |score| of n (the largest when that exceeds n).
    """
    values = np.abs(values[np.isfinite(values)])
    n = values.size
    if n < MIN_SCORES:
        return None
    rank = min(n, int(np.ceil((n + 1) * COVERAGE)))
    q = float(np.sort(values)[rank - 1])
    return {"lo": -q, "hi": q, "count": float(n)}


def fit_calibration(units: pl.DataFrame) -> Calibration:
    """The calibration from backtest units (as_of, level, p10, p50, p90, actual) of every origin."""
    levels = {}
    for level in LEVELS:
        rows = units.filter(pl.col("level") == level)
        bounds = score_bounds(scores(rows)) if rows.height else None
        if bounds:
            levels[level] = bounds
    origins = units["as_of"].n_unique() if units.height else 0
    last = units["as_of"].max() if units.height else None
    return Calibration(levels=levels, origins=origins, last_origin=str(last) if last is not None else None)


def apply(level_bounds: tuple[float, float] | None, p10: Any, p50: Any, p90: Any) -> tuple[Any, Any]:
    """The calibrated (P10, P90) of bands (scalars or arrays); the simulated ones when not calibrated."""
    if level_bounds is None:
        return p10, p90
    p50_a = np.asarray(p50, dtype=float)
    s = scale(np.asarray(p10, dtype=float), p50_a, np.asarray(p90, dtype=float))
    lo = np.maximum(p50_a + level_bounds[0] * s, 0.0)
    hi = np.maximum(p50_a + level_bounds[1] * s, lo)
    if np.ndim(p50) == 0:
        return float(lo), float(hi)
    return lo, hi


def calibrate_units(units: pl.DataFrame, *, block_days: int) -> pl.DataFrame:
    """``units`` with ``cal_p10``/``cal_p90``: each origin's bands calibrated out of sample.

    The scores of origins within ``block_days`` of that origin (overlapping horizons) are left out.
    """
    if units.height == 0:
        return units.with_columns(pl.lit(None, pl.Float64).alias("cal_p10"), pl.lit(None, pl.Float64).alias("cal_p90"))
    all_scores = scores(units)
    as_of = units["as_of"].to_numpy().astype("datetime64[D]")
    level = units["level"].to_numpy()
    p10, p50, p90 = (units[c].to_numpy().astype(float) for c in ("p10", "p50", "p90"))
    cal_lo, cal_hi = p10.copy(), p90.copy()
    for origin in np.unique(as_of):
        here = as_of == origin
        far = np.abs((as_of - origin).astype(int)) > block_days
        for name in LEVELS:
            rows = here & (level == name)
            if not rows.any():
                continue
            bounds = score_bounds(all_scores[far & (level == name)])
            lo, hi = apply((bounds["lo"], bounds["hi"]) if bounds else None, p10[rows], p50[rows], p90[rows])
            cal_lo[rows], cal_hi[rows] = lo, hi
    return units.with_columns(pl.Series("cal_p10", cal_lo), pl.Series("cal_p90", cal_hi))


def stale(calibration: Calibration, as_of: dt.date) -> bool:
    """Whether the calibration's last origin is more than a year before ``as_of``."""
    if calibration.last_origin is None:
        return True
    return (as_of - dt.date.fromisoformat(calibration.last_origin)).days > 365
