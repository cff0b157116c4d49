"""Demo data generation: a deterministic, vectorised simulation of a sales org (numpy + polars).

Everything is drawn from ``numpy.random.Generator(PCG64(seed))`` in a fixed order, so the same
(leads, seed, today) always gives the same rows and ids. Outcomes (lead converts, deal wins) are
Bernoulli draws from per-record probabilities that are kept and exported as the "truth".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from demo.catalog import (
    HISTORY_YEARS,
)
from demo.deals import DealDraws
from demo.draws import (
    quarter_start,
)
from demo.scoring import LeadScorer


class DemoGenerator(DealDraws):
    """Generates the demo tables one by one (``tables()``), then exposes ``truth``."""

    def __init__(self, *, leads: int, seed: int, today: date, password_hash: str, scorer: LeadScorer | None):
        if leads < 1:
            raise ValueError("leads must be at least 1")
        self.n_leads = leads
        self.seed = seed
        self.today = today
        self.password_hash = password_hash
        self.scorer = scorer
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.anchor = datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp()
        start_day = today - timedelta(days=round(365.25 * HISTORY_YEARS))
        self.start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=UTC).timestamp()
        self.first_quarter = quarter_start(start_day)
        self.truth: pl.DataFrame | None = None
        self._truth_parts: list[pl.DataFrame] = []

    # -- the whole run ---------------------------------------------------------------------------

    def tables(self) -> Iterator[tuple[str, pl.DataFrame]]:
        """Yield (table name, frame) in foreign-key load order; ``truth`` is set at the end."""
        yield "territories", self._territories()
        users = self._users()
        yield "teams", self._teams()
        yield "users", users
        self._draw_accounts()
        self._draw_leads()
        yield "accounts", self._accounts_frame()
        yield "leads", self._leads_frame()
        opportunities, history = self._opportunities()
        yield "opportunities", opportunities
        yield "opportunity_stage_history", history
        yield "quotas", self._quotas()
        self.truth = pl.concat(self._truth_parts)
