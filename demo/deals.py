"""The demo deals: opportunities with their stage history, and quotas that follow bookings."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from demo.catalog import (
    AMOUNT_BASE,
    AMOUNT_DOWN_REASONS,
    BACKWARD_REASONS,
    DAY,
    EVENT_REASONS,
    INDUSTRIES,
    LOST,
    LOST_AT_STAGE,
    LOST_BASE,
    LOST_REASON_BY_STAGE,
    OPPORTUNITY_COLUMNS,
    PRODUCTS,
    SEGMENT_AMOUNT_MEDIAN,
    SEGMENT_DURATION,
    SEGMENT_WIN,
    SLIP_BASE,
    SLIP_REASONS,
    SOURCES,
    STAGE_MEDIAN_DAYS,
    TERRITORIES,
    WON,
)
from demo.draws import (
    add_quarters,
    dates,
    ffill,
    id_column,
    labels,
    pick,
    quarter_index,
    quarter_start,
    sigmoid,
    timestamps,
    uuid_strings,
)
from demo.population import PopulationDraws
from models.domain import LOST_REASONS, STAGE_FORECAST_CATEGORY, STAGE_PROBABILITY, STAGES


class DealDraws(PopulationDraws):
    """Draws opportunities, their stage history and the reps' quotas."""

    def _opportunities(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        rng = self.rng
        lead = self.opp_lead
        n = len(lead)
        rows = np.arange(n)
        account = self.lead_account[lead]
        segment = self.lead_segment[lead]
        industry = self.lead_industry[lead]
        owner = self.lead_owner[lead]
        t0 = self.lead_converted_at[lead]

        amount0 = np.exp(np.log(SEGMENT_AMOUNT_MEDIAN[segment]) + 0.6 * rng.standard_normal(n))
        amount0 *= np.array([i[4] for i in INDUSTRIES] + [1.0])[industry]
        amount0 = np.maximum(500.0, np.round(amount0 / 100) * 100)
        win_logit = (
            -1.25
            + SEGMENT_WIN[segment]
            + np.array([i[3] for i in INDUSTRIES] + [-0.2])[industry]
            + np.array([s[3] for s in SOURCES])[self.lead_source[lead]]
            + self.rep_skill[owner]
            + 0.35 * self.lead_quality[lead]
        )
        p_win = sigmoid(win_logit)
        won = rng.random(n) < p_win

        # Which open stages each deal visits, in order.
        start_at_discovery = rng.random(n) < 0.15
        last_open = np.where(won, 3, pick(rng, LOST_AT_STAGE, n))
        last_open = np.maximum(last_open, start_at_discovery.astype(int))
        visit = np.arange(4)[None, :] <= last_open[:, None]
        visit[start_at_discovery, 0] = False
        visit[(rng.random(n) < 0.10) & (last_open > 1) & ~start_at_discovery, 1] = False
        visit[(rng.random(n) < 0.08) & (last_open > 2), 2] = False
        visit[won & (segment == 0) & visit[:, 2] & (rng.random(n) < 0.3), 3] = False
        highest = 3 - np.argmax(visit[:, ::-1], axis=1)
        below = visit & (np.arange(4)[None, :] < highest[:, None])
        previous = np.where(below.any(axis=1), 3 - np.argmax(below[:, ::-1], axis=1), -1)
        goes_back = (highest >= 2) & (previous >= 0) & (rng.random(n) < 0.08)

        k_stage = 7
        seq = np.full((n, k_stage), -1, dtype=np.int64)
        pos = np.zeros(n, dtype=np.int64)
        for s in range(4):
            m = visit[:, s]
            seq[rows[m], pos[m]] = s
            pos[m] += 1
        seq[rows[goes_back], pos[goes_back]] = previous[goes_back]
        pos[goes_back] += 1
        seq[rows[goes_back], pos[goes_back]] = highest[goes_back]
        pos[goes_back] += 1
        seq[rows, pos] = np.where(won, WON, LOST)
        n_stage_events = pos + 1

        # Time in each stage: lognormal by stage and segment; lost deals linger before dying.
        open_stage = np.where((seq >= 0) & (seq < 4), seq, 0)
        median = STAGE_MEDIAN_DAYS[open_stage] * SEGMENT_DURATION[segment][:, None]
        dwell = np.exp(np.log(median) + 0.7 * rng.standard_normal((n, k_stage))) * DAY
        last_open_slot = n_stage_events - 2
        dwell[rows, last_open_slot] *= np.where(won, 1.0, 1.5)
        dwell[np.arange(k_stage)[None, :] >= last_open_slot[:, None] + 1] = 0.0
        times = t0[:, None] + np.concatenate([np.zeros((n, 1)), np.cumsum(dwell[:, :-1], axis=1)], axis=1)
        close_slot = n_stage_events - 1
        close_time = times[rows, close_slot]
        # Quarter-end push: many wins that would land early next quarter are pulled into the quarter.
        quarter_months = close_time.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
        quarter_opened = (quarter_months - quarter_months % 3).astype("datetime64[M]").astype("datetime64[s]")
        since_quarter = close_time - quarter_opened.astype(np.int64)
        pulled = quarter_opened.astype(np.int64) - rng.uniform(0.1, 3.0, n) * DAY
        pull = won & (since_quarter < 21 * DAY) & (rng.random(n) < 0.45)
        pull &= pulled > times[rows, close_slot - 1] + 3600
        close_time = np.where(pull, pulled, close_time)
        times[rows, close_slot] = close_time
        times[np.arange(k_stage)[None, :] > close_slot[:, None]] = np.inf
        close_day = np.floor(close_time / DAY)

        # Expected close date: optimistic at first, pushed (slips) when it passes before the close.
        cycle = close_time - t0
        ecd = np.floor((t0 + cycle * rng.uniform(0.45, 1.1, n)) / DAY)
        ecd = np.maximum(ecd, np.floor(t0 / DAY) + 1)
        ecd_initial = ecd.copy()
        slip_t = np.full((n, 3), np.inf)
        slip_ecd = np.full((n, 3), -1.0)
        slip_reason = rng.integers(0, len(SLIP_REASONS), (n, 3))
        for k in range(3):
            when = ecd * DAY + 9 * 3600 + rng.uniform(0, 30 * 3600, n)
            slips = (ecd < close_day) & (when < close_time - 60) & (when > t0 + 60)
            new_ecd = ecd + rng.integers(10, 46, n)
            slip_t[slips, k] = when[slips]
            slip_ecd[slips, k] = new_ecd[slips]
            ecd = np.where(slips, new_ecd, ecd)

        # Amount changes: sometimes one, rarely two, somewhere in the open life of the deal.
        n_amount = (rng.random(n) < 0.35).astype(int) + (rng.random(n) < 0.12)
        amount_t = np.sort(t0[:, None] + 60 + rng.random((n, 2)) * np.maximum(cycle - 120, 1)[:, None], axis=1)
        amount_t[np.arange(2)[None, :] >= n_amount[:, None]] = np.inf
        factor = np.exp(rng.normal(-0.03, 0.18, (n, 2))).clip(0.5, 1.6)
        amounts = np.maximum(100.0, np.round(amount0[:, None] * np.cumprod(factor, axis=1) / 100) * 100)
        amount_reason = np.where(
            factor < 1, rng.integers(0, 2, (n, 2)), len(AMOUNT_DOWN_REASONS) + rng.integers(0, 2, (n, 2))
        )

        lost_reason = np.full(n, -1)
        lost_rows = np.flatnonzero(~won)
        cum = np.cumsum(LOST_REASON_BY_STAGE[last_open[lost_rows]], axis=1)
        lost_reason[lost_rows] = (rng.random(len(lost_rows))[:, None] > cum).sum(axis=1).clip(0, len(LOST_REASONS) - 1)

        # Stage events: reason codes index EVENT_REASONS.
        back_reason = rng.integers(0, len(BACKWARD_REASONS), n)
        stage_reason = np.full((n, k_stage), -1)
        stage_reason[:, 0] = 0
        back_slot = n_stage_events - 3
        stage_reason[goes_back, back_slot[goes_back]] = 1 + back_reason[goes_back]
        stage_reason[~won, close_slot[~won]] = LOST_BASE + lost_reason[~won]
        stage_ecd = np.full((n, k_stage), -1.0)
        stage_ecd[:, 0] = ecd_initial
        stage_ecd[rows, close_slot] = close_day
        stage_amount = np.full((n, k_stage), np.nan)
        stage_amount[:, 0] = amount0

        # Merge every change, order it in time and carry stage, amount and close date forward.
        ev_time = np.concatenate([times, slip_t, amount_t], axis=1)
        ev_stage = np.concatenate([seq, np.full((n, 5), -1)], axis=1)
        ev_ecd = np.concatenate([stage_ecd, slip_ecd, np.full((n, 2), -1.0)], axis=1)
        ev_amount = np.concatenate([stage_amount, np.full((n, 3), np.nan), amounts], axis=1)
        ev_reason = np.concatenate([stage_reason, SLIP_BASE + slip_reason, AMOUNT_BASE + amount_reason], axis=1)
        order = np.argsort(ev_time, axis=1, kind="stable")
        ev_time = np.take_along_axis(ev_time, order, axis=1)
        ev_stage = ffill(np.take_along_axis(ev_stage, order, axis=1), -1)
        ev_ecd = ffill(np.take_along_axis(ev_ecd, order, axis=1), -1.0)
        ev_amount = np.take_along_axis(ev_amount, order, axis=1)
        ev_amount = ffill(np.where(np.isnan(ev_amount), -1.0, ev_amount), -1.0)
        ev_reason = np.take_along_axis(ev_reason, order, axis=1)
        happened = ev_time <= self.anchor
        count = happened.sum(axis=1)
        last = count - 1
        from_stage = np.concatenate([np.full((n, 1), -1), ev_stage[:, :-1]], axis=1)

        stage_now = ev_stage[rows, last]
        closed = stage_now >= 4
        closed_at = np.where(closed, ev_time[rows, last], np.nan)
        ecd_now = ev_ecd[rows, last]
        amount_now = ev_amount[rows, last]
        company = self._company_names(account)["name"]
        product = rng.integers(0, len(PRODUCTS), n)
        opportunities = (
            pl.DataFrame(
                {
                    "id": id_column("id", self.opp_ids),
                    "company": company,
                    "product": labels(PRODUCTS, product, "product"),
                    "account_id": id_column("account_id", self.account_ids, account),
                    "lead_id": id_column("lead_id", self.lead_ids, lead),
                    "owner_id": id_column("owner_id", self.rep_ids, owner),
                    "territory_id": id_column("territory_id", self.territory_ids, self.lead_territory[lead]),
                    "stage": labels(STAGES, stage_now, "stage"),
                    "amount": amount_now.astype(np.int64),
                    "probability": np.array([STAGE_PROBABILITY[s] for s in STAGES])[stage_now],
                    "forecast_category": labels(
                        tuple(STAGE_FORECAST_CATEGORY[s] for s in STAGES), stage_now, "forecast_category"
                    ),
                    "expected_close_date": dates(ecd_now, "expected_close_date"),
                    "closed_at": timestamps(closed_at, "closed_at"),
                    "lost_reason": labels(LOST_REASONS, np.where(stage_now == LOST, lost_reason, -1), "lost_reason"),
                    "source": labels([s[0] for s in SOURCES], self.lead_source[lead], "source"),
                    "created_at": timestamps(t0, "created_at"),
                }
            )
            .with_columns(
                name=pl.concat_str([pl.col("company"), pl.lit(" - "), pl.col("product")]),
                currency=pl.lit("USD"),
            )
            .select(OPPORTUNITY_COLUMNS)
        )

        flat = happened.ravel()
        opp_row = np.repeat(rows, ev_time.shape[1])[flat]
        history = pl.DataFrame(
            {
                "id": id_column("id", uuid_strings(rng, int(flat.sum()))),
                "opportunity_id": id_column("opportunity_id", self.opp_ids, opp_row),
                "from_stage": labels(STAGES, from_stage.ravel()[flat], "from_stage"),
                "to_stage": labels(STAGES, ev_stage.ravel()[flat], "to_stage"),
                "amount": ev_amount.ravel()[flat].astype(np.int64),
                "expected_close_date": dates(ev_ecd.ravel()[flat], "expected_close_date"),
                "changed_at": timestamps(ev_time.ravel()[flat], "changed_at"),
                "changed_by_id": id_column("changed_by_id", self.rep_ids, owner[opp_row]),
                "reason": labels(EVENT_REASONS, ev_reason.ravel()[flat], "reason"),
                "created_at": timestamps(ev_time.ravel()[flat], "created_at"),
            }
        )
        self._truth_parts.append(
            pl.DataFrame(
                {
                    "entity": pl.Series(["opportunity"]).gather(pl.Series(np.zeros(n, dtype=np.int64))),
                    "id": id_column("id", self.opp_ids),
                    "p_true": p_win,
                    "outcome": won,
                    "is_observed": closed,
                }
            )
        )
        self.opp_won_close = np.where(won, close_time, np.nan)
        self.opp_won_amount = np.where(won, ev_amount[:, -1], 0.0)
        self.opp_territory = self.lead_territory[lead]
        return opportunities, history

    # -- quotas ----------------------------------------------------------------------------------------

    def _quotas(self) -> pl.DataFrame:
        """One quota per rep per quarter: history window plus the next two quarters."""
        rng = self.rng
        current = quarter_start(self.today)
        quarters: list[date] = []
        q = self.first_quarter
        while q <= add_quarters(current, 2):
            quarters.append(q)
            q = add_quarters(q, 1)
        n_q = len(quarters)
        n_current = quarters.index(current)
        bookings = np.zeros((len(TERRITORIES), n_q))
        won = np.isfinite(self.opp_won_close)
        qi = quarter_index(np.nan_to_num(self.opp_won_close, nan=0.0), self.first_quarter)
        ok = won & (qi >= 0) & (qi < n_q)
        np.add.at(bookings, (self.opp_territory[ok], qi[ok]), self.opp_won_amount[ok])
        reps = np.array([max(1, len(r)) for r in self.reps_by_territory])[:, None]
        per_rep = bookings / reps
        complete = per_rep[:, :n_current]
        recent = complete[:, -4:].mean(axis=1) if n_current else np.full(len(TERRITORIES), 50_000.0)
        # Quotas follow the bookings trend (a centred three-quarter average), not each quarter's luck.
        padded = np.pad(per_rep[:, :n_current], ((0, 0), (1, 1)), mode="edge") if n_current else per_rep[:, :0]
        target = per_rep.copy()
        if n_current:
            target[:, :n_current] = (padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]) / 3
        target[:, n_current:] = (recent * 1.08)[:, None]
        stretch = rng.uniform(1.0, 1.25, (self.n_reps, n_q))
        amount = np.maximum(10_000, np.round(target[self.rep_territory] * stretch / 1000) * 1000).astype(np.int64)
        created = self.start - 30 * DAY
        period = np.array([(qq - date(1970, 1, 1)).days for qq in quarters])
        return pl.DataFrame(
            {
                "id": id_column("id", uuid_strings(rng, self.n_reps * n_q)),
                "user_id": id_column("user_id", self.rep_ids, np.repeat(np.arange(self.n_reps), n_q)),
                "period_start": dates(np.tile(period, self.n_reps), "period_start"),
                "amount": amount.ravel(),
                "currency": ["USD"] * (self.n_reps * n_q),
                "created_at": timestamps(np.full(self.n_reps * n_q, created), "created_at"),
            }
        )
