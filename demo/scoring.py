"""Lead scores for the demo: the product's score function applied in batch, or a stand-in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

ScoreFunction = Callable[[Mapping[str, object]], float]


def _band_floor(values: np.ndarray, bounds: tuple[float, ...]) -> np.ndarray:
    """The largest bound each value reaches (0 below all): a stand-in value in the same band."""
    ordered = np.sort(np.asarray(bounds, dtype=float))
    idx = np.searchsorted(ordered, values, side="right") - 1
    return np.where(idx >= 0, ordered[idx.clip(0)], 0.0)


@dataclass(frozen=True)
class LeadScorer:
    """Scores leads with the product's score function, calling it once per distinct input.

    When the score only looks at which band employee_count / annual_revenue fall in
    (``employee_bands`` / ``revenue_bands``: the bands' lower bounds), each value is replaced by its
    band's bound before de-duplicating. When the score is documented as fit + engagement
    (``separable``), fit is scored once per distinct profile and engagement once per value, and the
    sum is checked against full calls on a sample; any difference falls back to full calls.
    """

    score: ScoreFunction
    employee_bands: tuple[float, ...] | None = None
    revenue_bands: tuple[float, ...] | None = None
    separable: bool = False

    def scores(
        self,
        *,
        industry: pl.Series,
        employee_count: np.ndarray,
        annual_revenue: np.ndarray,
        title: pl.Series,
        engagement_score: np.ndarray,
    ) -> np.ndarray:
        """Scores (0–100, 2 decimals) of the leads given column-wise."""
        employees = employee_count.astype(float)
        revenue = annual_revenue.astype(float)
        if self.employee_bands:
            employees = _band_floor(employees, self.employee_bands)
        if self.revenue_bands:
            revenue = _band_floor(revenue, self.revenue_bands)
        keys = pl.DataFrame(
            {
                "industry": industry,
                "employee_count": employees,
                "annual_revenue": revenue,
                "title": title,
                "engagement_score": np.asarray(engagement_score, dtype=np.int64),
            }
        )
        if self.separable:
            scores = self._separable_scores(keys)
            if scores is not None:
                return scores
        return self._lookup(keys, keys.columns)

    def _lookup(self, keys: pl.DataFrame, columns: list[str]) -> np.ndarray:
        """Score each distinct row of ``keys[columns]`` once; missing columns are left out of the call."""
        picked = keys.select(columns)
        distinct = picked.unique(maintain_order=True)
        calc = self.score
        values = [calc(row) for row in distinct.iter_rows(named=True)]
        distinct = distinct.with_columns(score=pl.Series(values, dtype=pl.Float64))
        joined = picked.join(distinct, on=columns, how="left", nulls_equal=True, maintain_order="left")
        return joined["score"].to_numpy()

    def _separable_scores(self, keys: pl.DataFrame) -> np.ndarray | None:
        calc = self.score
        fit = self._lookup(keys, ["industry", "employee_count", "annual_revenue", "title"])
        nothing = calc({})
        engagement_part = {e: calc({"engagement_score": e}) - nothing for e in range(101)}
        part = np.array([engagement_part[e] for e in range(101)])[keys["engagement_score"].to_numpy().clip(0, 100)]
        scores = np.round(np.clip(fit + part, 0, 100), 2)
        sample = np.random.Generator(np.random.PCG64(len(keys))).choice(len(keys), min(len(keys), 500), replace=False)
        for i in sample.tolist():
            if abs(calc(keys.row(i, named=True)) - scores[i]) > 0.005:
                return None
        return scores


def placeholder_scores(
    *,
    engagement: np.ndarray,
    employees: np.ndarray,
    revenue: np.ndarray,
    seniority: np.ndarray,
    known_industry: np.ndarray,
) -> np.ndarray:
    """Stand-in lead score (0–100) used only when ``crm.scoring`` is missing: engagement-weighted fit."""
    fit = (
        np.clip(np.log10(np.maximum(employees, 1)) / 4, 0, 1) * 0.35
        + np.clip((np.log10(np.maximum(revenue, 1)) - 5) / 3, 0, 1) * 0.25
        + np.clip((seniority + 1.2) / 1.65, 0, 1) * 0.30
        + known_industry * 0.10
    )
    return 100 * (0.6 * engagement / 100 + 0.4 * fit)
