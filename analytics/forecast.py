"""Revenue forecast: Monte Carlo over the open pipeline (win × when it closes) plus pipeline not created yet.

Per simulation each open deal is won with its win probability; a won deal closes on its expected close date
plus a slip drawn from how late won deals actually closed, as they stood on past 1sts and 16ths with as many
days to their expected date (or, when already overdue, after a wait drawn from how long overdue won deals
took). Pipeline not created yet is a run rate: won value per created deal by creation-month cohort and months-to-close
(fully observed cells only: unobserved = missing, never zero), times the recent creation rate of deals (so it
follows growth or decline), one of the last RUN_RATE_COHORTS cohorts drawn per future month. The result is
P10/P50/P90 per month, quarter, owner, team and territory, and the probability of reaching quota.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse

from analytics.calibration import Calibration
from analytics.calibration import apply as apply_calibration
from analytics.deal_features import data_end, won_deal_timing
from analytics.filters import MetricFilter
from analytics.model_store import load_model
from analytics.query import Source, run
from analytics.team import quarter_bounds
from analytics.win_model import WinModel, score_open_deals, train_win_model

RUN_RATE_COHORTS = 12
CREATION_MONTHS = 3  # the creation rate of new deals is measured over this many months up to the as-of day
DAYS_PER_MONTH = 365.25 / 12
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
    calibrated: bool = False
    fallback_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON: p10/p50/p90 of won value closing within the horizon, and one row per month."""
        return {
            "as_of": self.as_of.isoformat(),
            "months": len(self.month_starts),
            "horizon_end": self.horizon_end.isoformat(),
            "simulations": self.simulations,
            "probability_source": self.probability_source,
            "bands": "calibrated on the backtest" if self.calibrated else "simulated",
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


@dataclass
class RunRate:
    """Pipeline not created yet: won value per created deal by cohort and months to close, and the creation rate.

    ``yields[c, k]`` is the won value that closed ``k`` months after its creation month per deal created in cohort
    ``c`` (the fully observed creation months among the last RUN_RATE_COHORTS), NaN where that cell was not fully
    observed by the as-of day or lies before the first recorded close. ``deals_per_month`` is how many deals were
    created per month over the last CREATION_MONTHS months (so the run rate follows growth or decline).
    """

    yields: np.ndarray
    deals_per_month: float
    cohorts: list[dt.date]


def run_rate_cohorts(as_of: dt.date, months: int, *, con: Source = None) -> RunRate:
    """The run rate's history as of ``as_of``, learned from fully observed cells only (unobserved = missing).

    A cohort counts only from the first month with any recorded close on (before it the data cannot tell a
    cohort that won nothing from one whose closes were not recorded); a cell counts only when its close month
    ended by ``as_of``.
    """
    first_open = month_add(as_of + dt.timedelta(days=1), 0)
    first_close = run("SELECT min(closed_on) AS first FROM opportunities WHERE closed_on <= ?", [as_of], con=con)
    first_close_day = first_close["first"][0]
    start = month_add(first_open, -RUN_RATE_COHORTS)
    if first_close_day is not None:
        start = max(start, month_add(first_close_day, 0))
    count = max(0, (first_open.year - start.year) * 12 + first_open.month - start.month)
    cohorts = [month_add(start, c) for c in range(count)]
    created = run(
        """
        SELECT date_trunc('month', created_on) AS cohort, count(*) AS deals FROM opportunities
        WHERE created_on >= ? AND created_on < ? GROUP BY ALL
        """,
        [start, first_open],
        con=con,
    )
    won = run(
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
    index = {c: i for i, c in enumerate(cohorts)}
    deals = np.zeros(count)
    for row in created.iter_rows(named=True):
        deals[index[_as_date(row["cohort"])]] = row["deals"]
    grid = np.full((count, months), np.nan)
    for c in range(count):
        for k in range(months):
            if month_add(start, c + k) < first_open and deals[c] > 0:
                grid[c, k] = 0.0
    for row in won.iter_rows(named=True):
        cohort = index.get(_as_date(row["cohort"]))
        closed = _as_date(row["closed_month"])
        if cohort is None:
            continue
        k = (closed.year - cohorts[cohort].year) * 12 + closed.month - cohorts[cohort].month
        if 0 <= k < months and not np.isnan(grid[cohort, k]):
            grid[cohort, k] += row["won"] / deals[cohort]
    return RunRate(yields=grid, deals_per_month=creation_rate(as_of, con=con), cohorts=cohorts)


def creation_rate(as_of: dt.date, *, con: Source = None) -> float:
    """Deals created per (average) month over the last CREATION_MONTHS calendar months up to ``as_of``.

    The window starts on the 1st of the month CREATION_MONTHS before the day after ``as_of`` (exactly that many
    months at a month-end); over fewer days when the data starts later.
    """
    start = month_add(as_of + dt.timedelta(days=1), -CREATION_MONTHS)
    frame = run(
        "SELECT count(*) AS deals, min(created_on) AS first FROM opportunities WHERE created_on BETWEEN ? AND ?",
        [start, as_of],
        con=con,
    )
    deals, first = frame["deals"][0], frame["first"][0]
    if not deals or first is None:
        return 0.0
    days = (as_of - max(start, first)).days + 1
    return float(deals) / max(days, 1) * DAYS_PER_MONTH


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


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


def typical_won_amount(as_of: dt.date, *, con: Source = None) -> float:
    """Mean amount of deals won in the 365 days up to ``as_of``: an open deal's value when its amount is unknown.

    (An import whose amounts exist only after closing, such as Maven's ``close_value``, leaves open deals'
    amounts unknown as of any past day; counting them as 0 would drop the whole open pipeline.)
    """
    value = run(
        "SELECT CAST(avg(amount) AS DOUBLE) AS mean FROM opportunities WHERE is_won AND closed_on BETWEEN ? AND ?",
        [as_of - dt.timedelta(days=365), as_of],
        con=con,
    )["mean"][0]
    return float(value) if value is not None else 0.0


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


def simulate_run_rate(rate: RunRate, fractions: np.ndarray, rng: np.random.Generator, sims: int) -> np.ndarray:
    """Won value per simulation and month from deals created after the as-of day: (sims, months).

    Each future month's deals (the creation rate × the share of that month still ahead) follow the per-deal
    yields of one observed cohort drawn at random; a cell that cohort has not observed yet takes the mean of
    the cohorts that have (missing, never zero). A months-to-close column no cohort has observed counts 0.
    """
    grid = rate.yields
    months = grid.shape[1]
    out = np.zeros((sims, months))
    observed = ~np.isnan(grid).all(axis=1)
    if not observed.any() or rate.deals_per_month <= 0:
        return out
    grid = grid[observed]
    observed_cells = ~np.isnan(grid)
    sums = np.where(observed_cells, grid, 0.0).sum(axis=0)
    counts = observed_cells.sum(axis=0)
    column_means = np.divide(sums, counts, out=np.zeros(months), where=counts > 0)
    filled = np.where(np.isnan(grid), column_means[None, :], grid)
    picks = rng.integers(0, grid.shape[0], size=(sims, months))
    for j in range(months):
        out[:, j:] += filled[picks[:, j], : months - j] * (rate.deals_per_month * fractions[j])
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
    calibration: Calibration | None = None,
) -> Forecast:
    """Forecast won value for ``months`` calendar months after ``as_of`` (default: the warehouse's last day).

    ``visible_owner_ids`` (None = everyone) limits everything to those owners: their open deals, their share of
    the run rate, their quotas, so every group (team, territory, total) holds only their numbers.

    With ``calibration`` (from the backtest, analytics.calibration) the P10–P90 bands are re-scaled from past
    residuals: the total and quarters with the total level's, months with the month level's, owners, teams and
    territories with the owner level's; P50 and the mean stay the simulation's.

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
    amounts = deals["amount"].fill_null(typical_won_amount(as_of, con=con)).to_numpy().astype(float)
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
    totals = _bands(horizon_total)
    if calibration is not None:
        totals, by_month, by_quarter, by_group = _calibrated(calibration, totals, by_month, by_quarter, by_group)
    return Forecast(
        as_of=as_of,
        month_starts=starts[:months],
        horizon_end=month_add(first_open, months) - dt.timedelta(days=1),
        quarter=quarter,
        totals=totals,
        by_month=by_month,
        by_quarter=by_quarter,
        by_group=by_group,
        deals=deals_out,
        probability_source="stage fallback" if model.is_fallback else "calibrated model",
        simulations=simulations,
        fallback_reason=model.card.get("fallback_reason") if model.is_fallback else None,
        calibrated=calibration is not None and bool(calibration.levels),
    )


def _calibrated(
    calibration: Calibration,
    totals: dict[str, float],
    by_month: pl.DataFrame,
    by_quarter: pl.DataFrame,
    by_group: pl.DataFrame,
) -> tuple[dict[str, float], pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    total = calibration.bounds("total")
    lo, hi = apply_calibration(total, totals["p10"], totals["p50"], totals["p90"])
    totals = {**totals, "p10": lo, "p90": hi}

    def frame(data: pl.DataFrame, bounds: tuple[float, float] | None) -> pl.DataFrame:
        if data.height == 0 or bounds is None:
            return data
        lo, hi = apply_calibration(bounds, data["p10"].to_numpy(), data["p50"].to_numpy(), data["p90"].to_numpy())
        return data.with_columns(pl.Series("p10", lo), pl.Series("p90", hi))

    groups = [
        frame(by_group.filter(pl.col("dimension") == d), calibration.bounds("total" if d == "total" else "owner"))
        for d in (*DIMENSIONS, "total")
    ]
    by_group = pl.concat([g for g in groups if g.height]) if any(g.height for g in groups) else by_group
    by_group = by_group.sort(["dimension", "p50"], descending=[False, True])
    return totals, frame(by_month, calibration.bounds("month")), frame(by_quarter, total), by_group


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
