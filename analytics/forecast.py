"""Revenue forecast: Monte Carlo over the open pipeline (win × when it closes) plus pipeline not created yet.

Per simulation each open deal is won with its win probability; a won deal closes on its expected close date
plus a slip drawn from how late won deals actually closed, as they stood on past 1sts and 16ths with as many
days to their expected date (or, when already overdue, after a wait drawn from how long overdue won deals
took). Pipeline not created yet is a run rate: won value per creation-month cohort and months-to-close, one
of the last RUN_RATE_COHORTS cohorts drawn per future month. The result is
P10/P50/P90 per month, quarter, owner, team and territory, and the probability of reaching quota.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse

from analytics.deal_features import data_end, won_deal_timing
from analytics.filters import MetricFilter
from analytics.model_store import load_model
from analytics.query import Source, run
from analytics.team import quarter_bounds
from analytics.win_model import WinModel, score_open_deals, train_win_model

RUN_RATE_COHORTS = 12
SLIP_BUCKETS = np.array([0, 30, 90])  # bands of days to the expected close: ≤0, 1–30, 31–90, >90
DEFAULT_SIMULATIONS = 500
MAX_CELLS = 16_000_000  # deals × simulations per chunk (about 64 MB per float32 array)
DIMENSIONS = ("owner", "team", "territory")


@dataclass
class Forecast:
    """A forecast as of a day for a number of calendar months."""

    as_of: dt.date
    month_starts: list[dt.date]
    horizon_end: dt.date
    quarter: tuple[dt.date, dt.date]
    totals: dict[str, float]
    by_month: pl.DataFrame
    by_quarter: pl.DataFrame
    by_group: pl.DataFrame
    deals: pl.DataFrame
    probability_source: str
    simulations: int

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON: p10/p50/p90 of won value closing within the horizon, and one row per month."""
        return {
            "as_of": self.as_of.isoformat(),
            "months": len(self.month_starts),
            "horizon_end": self.horizon_end.isoformat(),
            "simulations": self.simulations,
            "probability_source": self.probability_source,
            **{k: round(v, 2) for k, v in self.totals.items()},
            "rows": [
                {k: (v.isoformat() if isinstance(v, dt.date) else round(v, 2)) for k, v in row.items()}
                for row in self.by_month.iter_rows(named=True)
            ],
        }


def month_add(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def slip_distribution(as_of: dt.date, *, con: Source = None) -> list[np.ndarray]:
    """Days from the expected close date to the actual close of won deals, per SLIP_BUCKETS band of days ahead.

    From deals won in the 365 days up to ``as_of``, as they stood on each 1st and 16th they were open. The first
    band (expected date already passed, or none) holds the wait from that day instead, at least 1 day.
    """
    frame = won_deal_timing(as_of, con=con)
    ahead = frame["days_to_expected_close"].fill_null(0).to_numpy()
    slips, waits = frame["slip"].fill_null(0).to_numpy(), np.maximum(frame["wait"].to_numpy(), 1)
    band = np.searchsorted(SLIP_BUCKETS, ahead, side="left")
    pools = [np.sort(waits[band == 0])] + [np.sort(slips[band == b]) for b in range(1, len(SLIP_BUCKETS) + 1)]
    everything = np.sort(slips[band > 0]) if (band > 0).any() else np.zeros(1, dtype=np.int64)
    pools = [p if p.size >= 30 else everything for p in pools]
    if pools[0] is everything:
        pools[0] = np.maximum(everything, 1)
    return pools


def run_rate_cohorts(as_of: dt.date, months: int, *, con: Source = None) -> np.ndarray:
    """Won value per creation-month cohort (rows, the last RUN_RATE_COHORTS months) by months to close (columns).

    NaN where that cohort's month has not been fully observed by ``as_of``.
    """
    first_open = month_add(as_of + dt.timedelta(days=1), 0)
    start = month_add(first_open, -RUN_RATE_COHORTS)
    frame = run(
        """
        SELECT date_trunc('month', created_on) AS cohort, date_trunc('month', closed_on) AS closed_month,
               CAST(sum(amount) AS DOUBLE) AS won
        FROM opportunities
        WHERE is_won AND created_on >= ? AND created_on < ? AND closed_on <= ?
        GROUP BY ALL
        """,
        [start, first_open, as_of],
        con=con,
    )
    grid = np.zeros((RUN_RATE_COHORTS, months))
    for c in range(RUN_RATE_COHORTS):
        for k in range(months):
            if month_add(start, c + k) >= first_open:
                grid[c, k] = np.nan
    for row in frame.iter_rows(named=True):
        c = (row["cohort"].year - start.year) * 12 + row["cohort"].month - start.month
        k = (row["closed_month"].year - row["cohort"].year) * 12 + row["closed_month"].month - row["cohort"].month
        if 0 <= c < RUN_RATE_COHORTS and 0 <= k < months and not np.isnan(grid[c, k]):
            grid[c, k] += row["won"]
    return grid


def run_rate_shares(
    as_of: dt.date, dimension: str, *, visible_owner_ids: tuple[str, ...] | None = None, con: Source = None
) -> dict[str, float]:
    """Each owner's / team's / territory's share of won value from deals created in the last 12 months.

    With ``visible_owner_ids`` only those owners' deals count, and shares are of their won value.
    """
    column = f"{dimension}_id"
    frame = _won_last_year(as_of, column, visible_owner_ids, con=con)
    total = float(frame["won"].sum()) if frame.height else 0.0
    return {r["key"]: r["won"] / total for r in frame.iter_rows(named=True)} if total else {}


def run_rate_scope(as_of: dt.date, visible_owner_ids: tuple[str, ...] | None, *, con: Source = None) -> float:
    """The visible owners' share of everyone's won value over the last 12 months (1 when everyone is visible)."""
    if visible_owner_ids is None:
        return 1.0
    everyone = float(_won_last_year(as_of, "owner_id", None, con=con)["won"].sum())
    visible = float(_won_last_year(as_of, "owner_id", visible_owner_ids, con=con)["won"].sum())
    return visible / everyone if everyone else 0.0


def _won_last_year(
    as_of: dt.date, column: str, visible_owner_ids: tuple[str, ...] | None, *, con: Source
) -> pl.DataFrame:
    owners, params = MetricFilter(visible_owner_ids=visible_owner_ids).where()
    return run(
        f"""
        SELECT coalesce(CAST({column} AS VARCHAR), '(none)') AS key, CAST(sum(amount) AS DOUBLE) AS won
        FROM opportunities WHERE is_won AND closed_on <= ? AND created_on > ? AND {owners} GROUP BY ALL
        """,
        [as_of, as_of - dt.timedelta(days=365), *params],
        con=con,
    )


def won_by_month(
    before: dt.date, months: int, *, visible_owner_ids: tuple[str, ...] | None = None, con: Source = None
) -> pl.DataFrame:
    """Won value per UTC close month for the ``months`` months up to ``before`` (the actuals beside a forecast).

    With ``visible_owner_ids`` only those owners' deals count, as in the forecast itself.
    """
    owners, params = MetricFilter(visible_owner_ids=visible_owner_ids).where()
    return run(
        f"""
        SELECT CAST(date_trunc('month', closed_on) AS DATE) AS month, CAST(sum(amount) AS DOUBLE) AS won
        FROM opportunities WHERE is_won AND closed_on <= ? AND closed_on >= ? AND {owners}
        GROUP BY ALL ORDER BY month
        """,
        [before, before - dt.timedelta(days=31 * months), *params],
        con=con,
    )


def simulate_run_rate(grid: np.ndarray, fractions: np.ndarray, rng: np.random.Generator, sims: int) -> np.ndarray:
    """Won value per simulation and month from deals created after the as-of day: (sims, months)."""
    months = grid.shape[1]
    column_means = np.nan_to_num(np.nanmean(np.where(np.isnan(grid), np.nan, grid), axis=0), nan=0.0)
    filled = np.where(np.isnan(grid), column_means[None, :], grid)
    picks = rng.integers(0, grid.shape[0], size=(sims, months))
    out = np.zeros((sims, months))
    for j in range(months):
        out[:, j:] += filled[picks[:, j], : months - j] * fractions[j]
    return out


def forecast(
    *,
    as_of: dt.date | None = None,
    months: int = 3,
    model: WinModel | None = None,
    con: Source = None,
    simulations: int = DEFAULT_SIMULATIONS,
    seed: int = 0,
    visible_owner_ids: tuple[str, ...] | None = None,
) -> Forecast:
    """Forecast won value for ``months`` calendar months after ``as_of`` (default: the warehouse's last day).

    ``visible_owner_ids`` (None = everyone) limits everything to those owners: their open deals, their share of
    the run rate, their quotas, so every group (team, territory, total) holds only their numbers.

    Without ``model``: the saved win model when it was trained on nothing after ``as_of``, else a model trained
    now on deals closed by ``as_of`` (so a past forecast never sees later outcomes).
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    as_of = as_of or data_end(con=con)
    model = model or _model_for(as_of, con=con)
    rng = np.random.default_rng(seed)
    first_open = month_add(as_of + dt.timedelta(days=1), 0)
    quarter = quarter_bounds(first_open)
    quarter_months = (quarter[1].year - first_open.year) * 12 + quarter[1].month - first_open.month + 1
    sim_months = max(months, quarter_months)
    starts = [month_add(first_open, m) for m in range(sim_months)]
    ends = np.array([(month_add(s, 1) - dt.timedelta(days=1) - as_of).days for s in starts])
    days_in_first = (month_add(first_open, 1) - first_open).days
    fractions = np.ones(sim_months)
    fractions[0] = ((month_add(first_open, 1) - (as_of + dt.timedelta(days=1))).days) / days_in_first

    deals = score_open_deals(model, as_of=as_of, con=con)
    if visible_owner_ids is not None:
        deals = deals.filter(pl.col("owner_id").is_in(list(visible_owner_ids)))
    pools = slip_distribution(as_of, con=con)
    codes = {d: _codes(deals[f"{d}_id"]) for d in DIMENSIONS}
    month_sims = np.zeros((sim_months + 1, simulations))
    group_h = {d: np.zeros((len(codes[d][1]), simulations)) for d in DIMENSIONS}
    group_q = {d: np.zeros((len(codes[d][1]), simulations)) for d in DIMENSIONS}
    expected_value = np.zeros(deals.height)
    amounts = deals["amount"].fill_null(0).to_numpy().astype(float)
    probs = deals["win_probability"].to_numpy().astype(float)
    expected = deals["expected_close_on"].to_list()
    offsets = np.array([(e - as_of).days if e is not None else 0 for e in expected], dtype=float)
    chunk = max(1, MAX_CELLS // simulations)
    last_day = np.float32(ends[-1] + 1)
    month_of_day = np.searchsorted(ends, np.arange(int(last_day) + 1), side="left")  # day after as-of → month
    sim_index = np.arange(simulations)
    for lo in range(0, deals.height, chunk):
        hi = min(lo + chunk, deals.height)
        won = rng.random((hi - lo, simulations), dtype=np.float32) < probs[lo:hi, None]
        close = _draw_close_days(offsets[lo:hi], pools, rng, simulations)
        month = month_of_day[np.minimum(close, last_day).astype(np.int32)]
        value = won * amounts[lo:hi, None].astype(np.float32)
        month_sims += np.bincount(
            (month * simulations + sim_index).ravel(), weights=value.ravel(), minlength=(sim_months + 1) * simulations
        ).reshape(sim_months + 1, simulations)
        in_h = np.where(month < months, value, np.float32(0))
        in_q = np.where(month < quarter_months, value, np.float32(0))
        expected_value[lo:hi] = in_h.mean(axis=1)
        for d in DIMENSIONS:
            onehot = sparse.csr_matrix(
                (np.ones(hi - lo, dtype=np.float32), (codes[d][0][lo:hi], np.arange(hi - lo))),
                shape=(len(codes[d][1]), hi - lo),
            )
            group_h[d] += onehot @ in_h
            group_q[d] += onehot @ in_q
    pipeline_months = month_sims[:sim_months].T
    run_rate = simulate_run_rate(run_rate_cohorts(as_of, sim_months, con=con), fractions, rng, simulations)
    run_rate = run_rate * run_rate_scope(as_of, visible_owner_ids, con=con)
    all_months = pipeline_months + run_rate
    horizon_total = all_months[:, :months].sum(axis=1)
    rr_h, rr_q = run_rate[:, :months].sum(axis=1), run_rate[:, :quarter_months].sum(axis=1)

    by_month = pl.DataFrame(
        [
            {
                "month": starts[m],
                **_bands(all_months[:, m]),
                "from_open_pipeline": float(pipeline_months[:, m].mean()),
                "from_new_pipeline": float(run_rate[:, m].mean()),
            }
            for m in range(months)
        ]
    )
    quarters: dict[dt.date, list[int]] = {}
    for m in range(months):
        quarters.setdefault(quarter_bounds(starts[m])[0], []).append(m)
    by_quarter = pl.DataFrame(
        [{"quarter_start_on": q, **_bands(all_months[:, ms].sum(axis=1))} for q, ms in quarters.items()]
    )
    quotas = _quotas_and_won(quarter, as_of, visible_owner_ids, con=con)
    groups = []
    for d in DIMENSIONS:
        keys = list(codes[d][1])
        shares = run_rate_shares(as_of, d, visible_owner_ids=visible_owner_ids, con=con)
        extra = [k for k in list(shares) + list(quotas[d]) if k not in codes[d][1]]
        for key in extra:
            codes[d][1][key] = len(keys)
            keys.append(key)
        h = np.vstack([group_h[d], np.zeros((len(extra), simulations))])
        q = np.vstack([group_q[d], np.zeros((len(extra), simulations))])
        for i, key in enumerate(keys):
            share = shares.get(key, 0.0)
            groups.append(_group_row(d, key, h[i] + share * rr_h, q[i] + share * rr_q, quotas[d].get(key)))
    total_q = all_months[:, :quarter_months].sum(axis=1)
    groups.append(_group_row("total", "total", horizon_total, total_q, quotas["total"].get("total")))
    by_group = _label_groups(pl.DataFrame(groups, infer_schema_length=None), con=con)
    deals_out = (
        deals.select(
            "opportunity_id",
            "name",
            "owner_id",
            "owner_name",
            "team_name",
            "territory_name",
            "stage",
            "amount",
            "expected_close_on",
            "win_probability",
            "reasons",
            "probability_source",
        )
        .with_columns(pl.Series("expected_won_in_horizon", expected_value))
        .sort("expected_won_in_horizon", descending=True)
    )
    return Forecast(
        as_of=as_of,
        month_starts=starts[:months],
        horizon_end=month_add(first_open, months) - dt.timedelta(days=1),
        quarter=quarter,
        totals=_bands(horizon_total),
        by_month=by_month,
        by_quarter=by_quarter,
        by_group=by_group,
        deals=deals_out,
        probability_source="stage fallback" if model.is_fallback else "calibrated model",
        simulations=simulations,
    )


def _draw_close_days(offsets: np.ndarray, pools: list[np.ndarray], rng: np.random.Generator, sims: int) -> np.ndarray:
    """Days after the as-of day each deal closes, per simulation (at least 1)."""
    band = np.searchsorted(SLIP_BUCKETS, offsets, side="left")
    close = np.empty((len(offsets), sims), dtype=np.float32)
    for b, pool in enumerate(pools):
        rows = band == b
        if rows.any():
            draws = pool.astype(np.float32)[rng.integers(0, len(pool), size=(int(rows.sum()), sims))]
            close[rows] = draws if b == 0 else offsets[rows, None].astype(np.float32) + draws
    late = close <= 0
    close[late] = pools[0].astype(np.float32)[rng.integers(0, len(pools[0]), size=int(late.sum()))]
    return close


def _model_for(as_of: dt.date, *, con: Source) -> WinModel:
    """The saved win model if it saw nothing after ``as_of``; else one trained on deals closed by ``as_of``."""
    saved = load_model("win")
    day_after = as_of + dt.timedelta(days=1)
    if saved is not None and dt.date.fromisoformat(saved.card.get("trained_before", "9999-12-31")) <= day_after:
        return saved
    return train_win_model(before=day_after, con=con)


def _bands(values: np.ndarray) -> dict[str, float]:
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return {"p10": float(p10), "p50": float(p50), "p90": float(p90), "mean": float(np.mean(values))}


def _codes(column: pl.Series) -> tuple[np.ndarray, dict[str, int]]:
    keys = column.fill_null("(none)").to_list()
    index: dict[str, int] = {}
    codes = np.array([index.setdefault(k, len(index)) for k in keys], dtype=np.int64)
    return codes, index


def _group_row(dimension: str, key: str, horizon: np.ndarray, quarter: np.ndarray, quota: tuple | None) -> dict:
    quota_amount, won_to_date = quota if quota else (None, 0.0)
    reach = None
    if quota_amount:
        reach = float(np.mean(won_to_date + quarter >= quota_amount))
    return {
        "dimension": dimension,
        "key": key,
        **_bands(horizon),
        "quarter_forecast_p50": float(np.median(quarter)),
        "quarter_won_to_date": float(won_to_date),
        "quota": float(quota_amount) if quota_amount else None,
        "p_reach_quota": reach,
    }


def _quotas_and_won(
    quarter: tuple[dt.date, dt.date], as_of: dt.date, visible_owner_ids: tuple[str, ...] | None = None, *, con: Source
) -> dict[str, dict]:
    """(quota, won so far) per owner, team, territory and in total for the quarter, of the visible owners."""
    frame = run(
        """
        WITH q AS (
            SELECT q.user_id AS owner_id, u.team_id, u.territory_id, CAST(q.amount AS DOUBLE) AS quota
            FROM quotas q LEFT JOIN users u USING (user_id) WHERE q.quarter_start_on = ?
        ), w AS (
            SELECT owner_id, team_id, territory_id, CAST(sum(amount) AS DOUBLE) AS won FROM opportunities
            WHERE is_won AND closed_on >= ? AND closed_on <= ? GROUP BY ALL
        )
        SELECT coalesce(q.owner_id, w.owner_id) AS owner_id, coalesce(q.team_id, w.team_id) AS team_id,
               coalesce(q.territory_id, w.territory_id) AS territory_id, q.quota, coalesce(w.won, 0) AS won
        FROM q FULL OUTER JOIN w ON q.owner_id = w.owner_id
        """,
        [quarter[0], quarter[0], as_of],
        con=con,
    )
    if visible_owner_ids is not None:
        frame = frame.filter(pl.col("owner_id").is_in(list(visible_owner_ids)))
    out: dict[str, dict] = {}
    for d in (*DIMENSIONS, "total"):
        key = pl.lit("total") if d == "total" else pl.col(f"{d}_id").fill_null("(none)")
        grouped = frame.group_by(key.alias("key")).agg(pl.col("quota").sum(), pl.col("won").sum())
        out[d] = {r["key"]: (r["quota"], r["won"]) for r in grouped.iter_rows(named=True)}
    return out


def _label_groups(groups: pl.DataFrame, *, con: Source) -> pl.DataFrame:
    names = run(
        """
        SELECT 'owner' AS dimension, user_id AS key, name AS label FROM users
        UNION ALL SELECT 'team', team_id, name FROM teams
        UNION ALL SELECT 'territory', territory_id, name FROM territories
        """,
        con=con,
    )
    labelled = groups.join(names, on=["dimension", "key"], how="left")
    label = pl.when(pl.col("dimension") == "total").then(pl.lit("Total")).otherwise(pl.col("label"))
    return labelled.with_columns(label.fill_null("(none)").alias("label")).sort(
        ["dimension", "p50"], descending=[False, True]
    )
