"""What the demo generator's stages hand to each other: the drawn org, market and deals."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from demo.scoring import LeadScorer


class DemoState:
    """Attributes set by one drawing stage and read by the next (org → accounts and leads → deals)."""

    # the run
    n_leads: int
    seed: int
    today: date
    password_hash: str
    scorer: LeadScorer | None
    rng: np.random.Generator
    anchor: float  # today 00:00 UTC, epoch seconds
    start: float  # first day of the history, epoch seconds
    first_quarter: date
    truth: pl.DataFrame | None
    _truth_parts: list[pl.DataFrame]
    # org (demo.org)
    territory_ids: np.ndarray
    rep_territory: np.ndarray
    n_reps: int
    rep_skill: np.ndarray
    reps_by_territory: list[np.ndarray]
    admin_id: np.bytes_
    analyst_id: np.bytes_
    manager_ids: np.ndarray
    rep_ids: np.ndarray
    team_ids: np.ndarray
    team_names: list[str]
    manager_names: list[str]
    # accounts and leads (demo.population)
    n_accounts: int
    account_ids: np.ndarray
    acc_head: np.ndarray
    acc_tail: np.ndarray
    acc_kind: np.ndarray
    acc_qual: np.ndarray
    acc_industry: np.ndarray
    acc_country: np.ndarray
    acc_employees: np.ndarray
    acc_segment: np.ndarray
    acc_revenue: np.ndarray
    acc_territory: np.ndarray
    acc_owner: np.ndarray
    acc_created: np.ndarray
    lead_ids: np.ndarray
    lead_status: np.ndarray
    lead_converted: np.ndarray
    lead_converted_at: np.ndarray
    lead_created: np.ndarray
    lead_account: np.ndarray
    lead_source: np.ndarray
    lead_title: np.ndarray
    lead_first: np.ndarray
    lead_last: np.ndarray
    lead_phone: np.ndarray
    lead_engagement: np.ndarray
    lead_quality: np.ndarray
    lead_industry: np.ndarray
    lead_segment: np.ndarray
    lead_owner: np.ndarray
    lead_territory: np.ndarray
    opp_lead: np.ndarray
    opp_ids: np.ndarray
    # deals (demo.deals)
    opp_won_close: np.ndarray
    opp_won_amount: np.ndarray
    opp_territory: np.ndarray
