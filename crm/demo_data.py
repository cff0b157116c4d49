"""Demo data generation: a deterministic, vectorised simulation of a sales org (numpy + polars).

Everything is drawn from ``numpy.random.Generator(PCG64(seed))`` in a fixed order, so the same
(leads, seed, today) always gives the same rows and ids. Outcomes (lead converts, deal wins) are
Bernoulli draws from per-record probabilities that are kept and exported as the "truth".
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pyarrow as pa

from crm.demo_catalog import (
    AMOUNT_BASE,
    AMOUNT_DOWN_REASONS,
    BACKWARD_REASONS,
    BRAND_HEADS,
    BRAND_TAILS,
    COMPANY_KINDS,
    COMPANY_QUALIFIERS,
    COUNTRIES,
    COUNTRY_REGION,
    COUNTRY_WEIGHTS,
    DAY,
    EVENT_REASONS,
    FIRST_NAMES,
    HISTORY_YEARS,
    INDUSTRIES,
    JOHN_DOE_EMAIL,
    LAST_NAMES,
    LEAD_COLUMNS,
    LOST,
    LOST_AT_STAGE,
    LOST_BASE,
    LOST_REASON_BY_STAGE,
    MONTH_FACTOR,
    OPPORTUNITY_COLUMNS,
    PRODUCTS,
    PUBLIC_SECTOR_INDUSTRIES,
    SEGMENT_AMOUNT_MEDIAN,
    SEGMENT_CONVERSION,
    SEGMENT_DURATION,
    SEGMENT_WIN,
    SLIP_BASE,
    SLIP_REASONS,
    SOURCES,
    STAGE_MEDIAN_DAYS,
    STRATEGIC_EMPLOYEE_MIN,
    T_NA,
    T_PUBLIC,
    T_STRATEGIC,
    TERRITORIES,
    TERRITORY_REASONS,
    TITLES,
    UNKNOWN_INDUSTRY_SHARE,
    WEEKDAY_FACTOR,
    WON,
    YEARLY_GROWTH,
    reps_for,
)
from crm.demo_scoring import LeadScorer, placeholder_scores
from models.domain import LOST_REASONS, STAGE_FORECAST_CATEGORY, STAGE_PROBABILITY, STAGES


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _uuid_strings(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` version-4 UUIDs from the generator, as canonical 36-character byte strings (numpy ``S36``)."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    chars = np.empty((n, 32), dtype=np.uint8)
    chars[:, 0::2] = hexdigits[raw >> 4]
    chars[:, 1::2] = hexdigits[raw & 0x0F]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    out[:, 0:8], out[:, 9:13], out[:, 14:18] = chars[:, 0:8], chars[:, 8:12], chars[:, 12:16]
    out[:, 19:23], out[:, 24:36] = chars[:, 16:20], chars[:, 20:32]
    return out.view("S36").ravel()


def _ids(name: str, ids: np.ndarray, codes: np.ndarray | None = None) -> pl.Series:
    """A string column from fixed-width ``S36`` ids (zero-copy through Arrow); code -1 → null."""
    ids = np.ascontiguousarray(ids, dtype="S36")
    n = len(ids)
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int64)
    array = pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(ids.view(np.uint8))])
    series = pl.Series(name, array)
    if codes is None:
        return series
    return pl.Series(name, [None], dtype=pl.String).append(series).gather(np.asarray(codes, dtype=np.int64) + 1)


def _pick(rng: np.random.Generator, weights: Mapping[int, float] | np.ndarray | Sequence[float], n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.searchsorted(np.cumsum(w / w.sum()), rng.random(n), side="right").clip(0, len(w) - 1)


def _lognormal_days(rng: np.random.Generator, median: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
    return np.exp(np.log(median) + sigma * rng.standard_normal(n)) * DAY


def _labels(values: tuple[str, ...] | list[str], codes: np.ndarray, name: str) -> pl.Series:
    """A string column from integer codes into ``values`` (code -1 → null)."""
    lookup = pl.Series(name, [None, *values], dtype=pl.String)
    return lookup.gather(pl.Series(np.asarray(codes, dtype=np.int64) + 1))


def _timestamps(seconds: np.ndarray, name: str) -> pl.Series:
    """UTC epoch seconds → naive microsecond datetimes (loaded with the session in UTC)."""
    finite = np.isfinite(seconds)
    micros = np.where(finite, seconds, 0).astype(np.int64) * 1_000_000
    series = pl.Series(name, micros).cast(pl.Datetime("us"))
    if finite.all():
        return series
    return pl.select(pl.when(pl.Series(finite)).then(series).otherwise(None).alias(name)).to_series()


def _dates(days: np.ndarray, name: str) -> pl.Series:
    return pl.Series(name, np.asarray(days, dtype=np.int32)).cast(pl.Date)


def _quarter_index(seconds: np.ndarray, first_quarter: date) -> np.ndarray:
    """Quarter number of each epoch-seconds value counted from ``first_quarter``."""
    months = seconds.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    base = (first_quarter.year - 1970) * 12 + first_quarter.month - 1
    return (months - base) // 3


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_quarters(day: date, quarters: int) -> date:
    months = day.year * 12 + day.month - 1 + 3 * quarters
    return date(months // 12, months % 12 + 1, 1)


def _ffill(values: np.ndarray, missing: float) -> np.ndarray:
    """Carry the last non-missing value forward along each row (column 0 is never missing)."""
    k = values.shape[1]
    idx = np.where(values != missing, np.arange(k)[None, :], 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    return np.take_along_axis(values, idx, axis=1)


class DemoGenerator:
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
        self.first_quarter = _quarter_start(start_day)
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

    # -- org: territories, teams, users ------------------------------------------------------------

    def _territories(self) -> pl.DataFrame:
        self.territory_ids = _uuid_strings(self.rng, len(TERRITORIES))
        created = self.start - 60 * DAY
        return pl.DataFrame(
            {
                "id": _ids("id", self.territory_ids),
                "name": [t[0] for t in TERRITORIES],
                "region": [t[1] for t in TERRITORIES],
                "rules": [json.dumps(t[2]) for t in TERRITORIES],
                "priority": [t[3] for t in TERRITORIES],
                "created_at": _timestamps(np.full(len(TERRITORIES), created), "created_at"),
            }
        )

    def _users(self) -> pl.DataFrame:
        rng = self.rng
        n_reps = reps_for(self.n_leads)
        # Reps per territory in proportion to the expected lead volume, at least one each.
        share = np.array([0.44, 0.22, 0.11, 0.08, 0.05, 0.10])
        alloc = np.maximum(1, np.floor(share * n_reps)).astype(int)
        while alloc.sum() < n_reps:
            alloc[np.argmax(share * n_reps - alloc)] += 1
        while alloc.sum() > n_reps:
            alloc[np.argmax(alloc)] -= 1
        self.rep_territory = np.repeat(np.arange(len(TERRITORIES)), alloc)
        self.n_reps = n_reps
        self.rep_skill = rng.normal(0.0, 0.35, n_reps)
        self.reps_by_territory = [np.flatnonzero(self.rep_territory == t) for t in range(len(TERRITORIES))]

        n_managers = len(TERRITORIES)
        ids = _uuid_strings(rng, 2 + n_managers + n_reps)
        self.admin_id, self.analyst_id = ids[0], ids[1]
        self.manager_ids = ids[2 : 2 + n_managers]
        self.rep_ids = ids[2 + n_managers :]
        self.team_ids = _uuid_strings(rng, n_managers)

        first = rng.integers(0, len(FIRST_NAMES), len(ids))
        last = rng.integers(0, len(LAST_NAMES), len(ids))
        names = [f"{FIRST_NAMES[f]} {LAST_NAMES[s]}" for f, s in zip(first, last, strict=True)]
        names[0], names[1] = "Demo Admin", "Demo Analyst"
        emails = ["admin@example.com", "analyst@example.com"]
        emails += [f"manager{i + 1}@example.com" for i in range(n_managers)]
        emails += [f"rep{i + 1}@example.com" for i in range(n_reps)]
        roles = ["admin", "analyst"] + ["manager"] * n_managers + ["rep"] * n_reps
        manager_code = np.concatenate([np.full(2 + n_managers, -1), self.rep_territory])
        team_code = np.concatenate([[-1, -1], np.arange(n_managers), self.rep_territory])
        self.team_names = [f"{t[0]} Team" for t in TERRITORIES]
        self.manager_names = names[2 : 2 + n_managers]
        created = self.start - 45 * DAY
        return pl.DataFrame(
            {
                "id": _ids("id", ids),
                "email": emails,
                "name": names,
                "role": roles,
                "password_hash": [self.password_hash] * len(ids),
                "manager_id": _ids("manager_id", self.manager_ids, manager_code),
                "team_id": _ids("team_id", self.team_ids, team_code),
                "territory_id": _ids("territory_id", self.territory_ids, team_code),
                "created_at": _timestamps(np.full(len(ids), created), "created_at"),
            }
        )

    def _teams(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "id": _ids("id", self.team_ids),
                "name": self.team_names,
                "manager_id": _ids("manager_id", self.manager_ids),
                "created_at": _timestamps(np.full(len(self.team_ids), self.start - 45 * DAY), "created_at"),
            }
        )

    # -- accounts and leads --------------------------------------------------------------------------

    def _draw_accounts(self) -> None:
        rng = self.rng
        m = max(20, self.n_leads // 5)
        self.n_accounts = m
        self.account_ids = _uuid_strings(rng, m)
        capacity = len(BRAND_HEADS) * len(BRAND_TAILS) * len(COMPANY_KINDS) * len(COMPANY_QUALIFIERS)
        combo = rng.permutation(capacity)[: min(m, capacity)]
        if m > capacity:
            combo = np.concatenate([combo, rng.integers(0, capacity, m - capacity)])
        head, rest = np.divmod(combo, len(BRAND_TAILS) * len(COMPANY_KINDS) * len(COMPANY_QUALIFIERS))
        tail, rest = np.divmod(rest, len(COMPANY_KINDS) * len(COMPANY_QUALIFIERS))
        kind, qual = np.divmod(rest, len(COMPANY_QUALIFIERS))
        self.acc_head, self.acc_tail, self.acc_kind, self.acc_qual = head, tail, kind, qual

        industry = _pick(rng, [i[1] for i in INDUSTRIES], m)
        industry[rng.random(m) < UNKNOWN_INDUSTRY_SHARE] = -1
        self.acc_industry = industry
        country = _pick(rng, COUNTRY_WEIGHTS, m)
        self.acc_country = country
        employees = np.exp(np.log(120) + 1.7 * rng.standard_normal(m)).clip(1, 250_000)
        self.acc_employees = np.round(employees).astype(np.int64)
        self.acc_segment = np.digitize(self.acc_employees, [100, 1000])
        rev_per_employee = np.array([i[5] for i in INDUSTRIES] + [180_000.0])[industry]
        revenue = self.acc_employees * rev_per_employee * np.exp(0.45 * rng.standard_normal(m))
        self.acc_revenue = (np.round(revenue / 1000) * 1000).astype(np.int64)

        territory = COUNTRY_REGION[country].copy()
        is_public = np.isin(industry, [n for n, i in enumerate(INDUSTRIES) if i[0] in PUBLIC_SECTOR_INDUSTRIES])
        territory[(territory == T_NA) & is_public] = T_PUBLIC
        territory[self.acc_employees >= STRATEGIC_EMPLOYEE_MIN] = T_STRATEGIC
        self.acc_territory = territory
        owner = np.empty(m, dtype=np.int64)
        for t, reps in enumerate(self.reps_by_territory):
            rows = np.flatnonzero(territory == t)
            owner[rows] = reps[rng.integers(0, len(reps), len(rows))]
        self.acc_owner = owner

    def _draw_lead_times(self, n: int) -> np.ndarray:
        """Creation times with growth, weekly and yearly seasonality and quarter-end pushes."""
        rng = self.rng
        n_days = round((self.anchor - self.start) / DAY)
        days = (np.datetime64(int(self.start // DAY), "D") + np.arange(n_days)).astype("datetime64[D]")
        epoch_day = days.astype(np.int64)
        weekday = (epoch_day + 3) % 7
        month = days.astype("datetime64[M]").astype(np.int64) % 12
        day_of_month = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
        weights = WEEKDAY_FACTOR[weekday] * MONTH_FACTOR[month]
        weights *= YEARLY_GROWTH ** (np.arange(n_days) / 365.25)
        quarter_end_month = month % 3 == 2
        weights[quarter_end_month & (day_of_month >= 16)] *= 1.12
        holidays = ((month == 11) & (day_of_month >= 24)) | ((month == 0) & (day_of_month == 1))
        weights[holidays] *= 0.35
        day_index = _pick(rng, weights, n)
        seconds_of_day = rng.normal(15.5 * 3600, 3.2 * 3600, n).clip(0, DAY - 1)
        return self.start + day_index * DAY + np.floor(seconds_of_day)

    def _draw_leads(self) -> None:
        rng = self.rng
        n = self.n_leads
        self.lead_ids = _uuid_strings(rng, n)
        created = self._draw_lead_times(n)
        account = np.minimum((self.n_accounts * rng.random(n) ** 1.8).astype(np.int64), self.n_accounts - 1)
        source = _pick(rng, [s[1] for s in SOURCES], n)
        title = _pick(rng, [t[1] for t in TITLES], n)
        first = rng.integers(0, len(FIRST_NAMES), n)
        last = rng.integers(0, len(LAST_NAMES), n)
        has_phone = rng.random(n) < 0.7
        # Distinct numbers (a bijection of the lead index on 10^7), so no two demo leads share a phone.
        phone_number = (np.arange(n, dtype=np.int64) * 7_919_113 + int(rng.integers(0, 10**7))) % 10**7
        quality = rng.standard_normal(n)  # latent lead quality, seen only through engagement
        engagement = np.round(45 + 20 * quality + 8 * rng.standard_normal(n)).clip(0, 100).astype(np.int64)

        # John Doe, the fixed sample lead of the browser test, is the last lead.
        j = n - 1
        created[j] = self.anchor - 10 * DAY + 10 * 3600
        source[j] = [s[0] for s in SOURCES].index("referral")
        title[j] = [t[0] for t in TITLES].index("VP Engineering")
        engagement[j] = 85
        quality[j] = 2.0

        industry = self.acc_industry[account]
        segment = self.acc_segment[account]
        logit = (
            -1.85
            + np.array([s[2] for s in SOURCES])[source]
            + np.array([t[2] for t in TITLES])[title]
            + SEGMENT_CONVERSION[segment]
            + np.array([i[2] for i in INDUSTRIES] + [-0.5])[industry]
            + 0.85 * quality
        )
        p_convert = _sigmoid(logit)
        converts = rng.random(n) < p_convert
        convert_lag = np.maximum(_lognormal_days(rng, 18.0, 0.8, n), 3600.0)
        drop_lag = _lognormal_days(rng, 20.0, 0.9, n)
        eventually_dropped = rng.random(n) < 0.85
        contact_lag = rng.exponential(1.5 * DAY, n)
        qualify_lag = np.where(converts, convert_lag * rng.uniform(0.3, 0.8, n), drop_lag * 0.5)
        ever_qualified = converts | (rng.random(n) < 0.25)
        age = self.anchor - created

        status = np.full(n, 0)  # new
        status[contact_lag <= age] = 1  # contacted
        status[ever_qualified & (qualify_lag <= age)] = 2  # qualified
        status[~converts & eventually_dropped & (drop_lag <= age)] = 3  # unqualified
        converted = converts & (convert_lag <= age)
        converted[j] = False
        status[converted] = 4  # converted
        status[j] = 2
        self.lead_status = status
        self.lead_converted = converted
        self.lead_converted_at = np.where(converted, created + convert_lag, np.nan)
        # Leads are assigned to the account's owner; a few brand-new ones wait for assignment.
        owner = self.acc_owner[account].copy()
        unassigned = (status == 0) & (rng.random(n) < 0.1)
        owner_code = np.where(unassigned, -1, owner)
        owner_code[j] = 0  # rep1
        territory = self.acc_territory[account].copy()
        territory[j] = T_NA

        self.lead_created = created
        self.lead_account = account
        self.lead_source = source
        self.lead_title = title
        self.lead_first, self.lead_last = first, last
        self.lead_phone = np.where(has_phone, phone_number, -1)
        self.lead_engagement = engagement
        self.lead_quality = quality
        self.lead_industry = industry
        self.lead_segment = segment
        self.lead_owner = owner_code
        self.lead_territory = territory
        self._truth_parts.append(
            pl.DataFrame(
                {
                    "entity": pl.Series(["lead"]).gather(pl.Series(np.zeros(n, dtype=np.int64))),
                    "id": _ids("id", self.lead_ids),
                    "p_true": p_convert,
                    "outcome": converts,
                    "is_observed": converted | (status == 3),
                }
            )
        )
        # Accounts exist from their first lead on; accounts nobody asked about yet get a random date.
        first_seen = np.full(self.n_accounts, np.inf)
        np.minimum.at(first_seen, account, created)
        self.acc_created = np.where(
            np.isfinite(first_seen), first_seen, rng.uniform(self.start, self.anchor, self.n_accounts)
        )
        self.opp_lead = np.flatnonzero(converted)
        self.opp_ids = _uuid_strings(rng, len(self.opp_lead))

    def _company_names(self, rows: np.ndarray | None = None) -> pl.DataFrame:
        pick = slice(None) if rows is None else rows
        frame = pl.DataFrame(
            {
                "head": _labels(BRAND_HEADS, self.acc_head[pick], "head"),
                "tail": _labels(BRAND_TAILS, self.acc_tail[pick], "tail"),
                "kind": _labels(COMPANY_KINDS, self.acc_kind[pick], "kind"),
                "qual": _labels(COMPANY_QUALIFIERS, self.acc_qual[pick], "qual"),
            }
        )
        brand = pl.col("head") + pl.col("tail")
        return frame.select(
            name=pl.concat_str([brand, pl.col("qual"), pl.lit(" "), pl.col("kind")]),
            domain=pl.concat_str([brand.str.to_lowercase(), pl.lit(".com")]),
        )

    def _accounts_frame(self) -> pl.DataFrame:
        names = self._company_names()
        return pl.DataFrame(
            {
                "id": _ids("id", self.account_ids),
                "name": names["name"],
                "domain": names["domain"],
                "industry": _labels([i[0] for i in INDUSTRIES], self.acc_industry, "industry"),
                "employee_count": self.acc_employees,
                "annual_revenue": self.acc_revenue,
                "country": _labels(COUNTRIES, self.acc_country, "country"),
                "owner_id": _ids("owner_id", self.rep_ids, self.acc_owner),
                "territory_id": _ids("territory_id", self.territory_ids, self.acc_territory),
                "created_at": _timestamps(self.acc_created, "created_at"),
            }
        )

    def _lead_scores(self, industry: pl.Series, employees: np.ndarray, revenue: np.ndarray) -> np.ndarray:
        if self.scorer is None:
            scores = placeholder_scores(
                engagement=self.lead_engagement,
                employees=employees,
                revenue=revenue,
                seniority=np.array([t[2] for t in TITLES])[self.lead_title],
                known_industry=self.lead_industry >= 0,
            )
            return np.round(np.clip(scores, 0, 100), 2)
        return self.scorer.scores(
            industry=industry,
            employee_count=employees,
            annual_revenue=revenue,
            title=_labels([t[0] for t in TITLES], self.lead_title, "title"),
            engagement_score=self.lead_engagement,
        )

    def _leads_frame(self) -> pl.DataFrame:
        n = self.n_leads
        j = n - 1
        account = self.lead_account
        employees = self.acc_employees[account].copy()
        revenue = self.acc_revenue[account].copy()
        employees[j], revenue[j] = 500, 50_000_000
        industry = _labels([i[0] for i in INDUSTRIES], self.lead_industry, "industry")
        industry[j] = "Technology"
        country = _labels(COUNTRIES, self.acc_country[account], "country")
        country[j] = "US"
        names = self._company_names(account)
        company = names["name"]
        company[j] = "Example Corp"
        first = _labels(FIRST_NAMES, self.lead_first, "first_name")
        last = _labels(LAST_NAMES, self.lead_last, "last_name")
        first[j], last[j] = "John", "Doe"
        source_names = [s[0] for s in SOURCES]
        source = _labels(source_names, self.lead_source, "source")
        has_campaign = np.array([s[4] for s in SOURCES])[self.lead_source]
        created_dt = _timestamps(self.lead_created, "created_at")
        opp_of_lead = np.full(n, -1)
        opp_of_lead[self.opp_lead] = np.arange(len(self.opp_lead))
        owner = _ids("owner_id", self.rep_ids, self.lead_owner)
        scores = self._lead_scores(industry, employees, revenue)
        frame = pl.DataFrame(
            {
                "id": _ids("id", self.lead_ids),
                "first_name": first,
                "last_name": last,
                "n": np.arange(n),
                "domain": names["domain"],
                "phone": self.lead_phone,
                "company": company,
                "title": _labels([t[0] for t in TITLES], self.lead_title, "title"),
                "industry": industry,
                "employee_count": employees,
                "annual_revenue": revenue,
                "country": country,
                "source": source,
                "has_campaign": has_campaign,
                "status": _labels(("new", "contacted", "qualified", "unqualified", "converted"), self.lead_status, "s"),
                "engagement_score": self.lead_engagement,
                "score": scores,
                "owner_id": owner,
                "territory_id": _ids("territory_id", self.territory_ids, self.lead_territory),
                "territory_reason": _labels(TERRITORY_REASONS, self.lead_territory, "territory_reason"),
                "account_id": _ids("account_id", self.account_ids, np.where(np.arange(n) == j, -1, account)),
                "converted_opportunity_id": _ids("converted_opportunity_id", self.opp_ids, opp_of_lead),
                "converted_at": _timestamps(self.lead_converted_at, "converted_at"),
                "created_at": created_dt,
            }
        )
        # first.last@company.com; a number only where that address is already taken (first.last2@...).
        base = pl.concat_str(
            [pl.col("first_name").str.to_lowercase(), pl.lit("."), pl.col("last_name").str.to_lowercase()]
        )
        taken_before = pl.int_range(pl.len()).over([base, pl.col("domain")])
        email = pl.concat_str(
            [
                base,
                pl.when(taken_before > 0).then((taken_before + 1).cast(pl.String)).otherwise(pl.lit("")),
                pl.lit("@"),
                pl.col("domain"),
            ]
        )
        campaign = pl.concat_str(
            [
                pl.col("source").str.replace("_", "-"),
                pl.lit("-"),
                pl.col("created_at").dt.year().cast(pl.String),
                pl.lit("-q"),
                pl.col("created_at").dt.quarter().cast(pl.String),
            ]
        )
        return frame.with_columns(
            email=pl.when(pl.col("n") == j).then(pl.lit(JOHN_DOE_EMAIL)).otherwise(email),
            phone=pl.when(pl.col("phone") >= 0).then(
                pl.concat_str([pl.lit("+1 555 "), pl.col("phone").cast(pl.String).str.zfill(7)])
            ),
            campaign=pl.when(pl.col("has_campaign")).then(campaign),
        ).select(LEAD_COLUMNS)

    # -- opportunities and their history ------------------------------------------------------------

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
        p_win = _sigmoid(win_logit)
        won = rng.random(n) < p_win

        # Which open stages each deal visits, in order.
        start_at_discovery = rng.random(n) < 0.15
        last_open = np.where(won, 3, _pick(rng, LOST_AT_STAGE, n))
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
        quarter_start = (quarter_months - quarter_months % 3).astype("datetime64[M]").astype("datetime64[s]")
        since_quarter = close_time - quarter_start.astype(np.int64)
        pulled = quarter_start.astype(np.int64) - rng.uniform(0.1, 3.0, n) * DAY
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
        ev_stage = _ffill(np.take_along_axis(ev_stage, order, axis=1), -1)
        ev_ecd = _ffill(np.take_along_axis(ev_ecd, order, axis=1), -1.0)
        ev_amount = np.take_along_axis(ev_amount, order, axis=1)
        ev_amount = _ffill(np.where(np.isnan(ev_amount), -1.0, ev_amount), -1.0)
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
                    "id": _ids("id", self.opp_ids),
                    "company": company,
                    "product": _labels(PRODUCTS, product, "product"),
                    "account_id": _ids("account_id", self.account_ids, account),
                    "lead_id": _ids("lead_id", self.lead_ids, lead),
                    "owner_id": _ids("owner_id", self.rep_ids, owner),
                    "territory_id": _ids("territory_id", self.territory_ids, self.lead_territory[lead]),
                    "stage": _labels(STAGES, stage_now, "stage"),
                    "amount": amount_now.astype(np.int64),
                    "probability": np.array([STAGE_PROBABILITY[s] for s in STAGES])[stage_now],
                    "forecast_category": _labels(
                        tuple(STAGE_FORECAST_CATEGORY[s] for s in STAGES), stage_now, "forecast_category"
                    ),
                    "expected_close_date": _dates(ecd_now, "expected_close_date"),
                    "closed_at": _timestamps(closed_at, "closed_at"),
                    "lost_reason": _labels(LOST_REASONS, np.where(stage_now == LOST, lost_reason, -1), "lost_reason"),
                    "source": _labels([s[0] for s in SOURCES], self.lead_source[lead], "source"),
                    "created_at": _timestamps(t0, "created_at"),
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
                "id": _ids("id", _uuid_strings(rng, int(flat.sum()))),
                "opportunity_id": _ids("opportunity_id", self.opp_ids, opp_row),
                "from_stage": _labels(STAGES, from_stage.ravel()[flat], "from_stage"),
                "to_stage": _labels(STAGES, ev_stage.ravel()[flat], "to_stage"),
                "amount": ev_amount.ravel()[flat].astype(np.int64),
                "expected_close_date": _dates(ev_ecd.ravel()[flat], "expected_close_date"),
                "changed_at": _timestamps(ev_time.ravel()[flat], "changed_at"),
                "changed_by_id": _ids("changed_by_id", self.rep_ids, owner[opp_row]),
                "reason": _labels(EVENT_REASONS, ev_reason.ravel()[flat], "reason"),
                "created_at": _timestamps(ev_time.ravel()[flat], "created_at"),
            }
        )
        self._truth_parts.append(
            pl.DataFrame(
                {
                    "entity": pl.Series(["opportunity"]).gather(pl.Series(np.zeros(n, dtype=np.int64))),
                    "id": _ids("id", self.opp_ids),
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
        current = _quarter_start(self.today)
        quarters: list[date] = []
        q = self.first_quarter
        while q <= _add_quarters(current, 2):
            quarters.append(q)
            q = _add_quarters(q, 1)
        n_q = len(quarters)
        n_current = quarters.index(current)
        bookings = np.zeros((len(TERRITORIES), n_q))
        won = np.isfinite(self.opp_won_close)
        qi = _quarter_index(np.nan_to_num(self.opp_won_close, nan=0.0), self.first_quarter)
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
                "id": _ids("id", _uuid_strings(rng, self.n_reps * n_q)),
                "user_id": _ids("user_id", self.rep_ids, np.repeat(np.arange(self.n_reps), n_q)),
                "period_start": _dates(np.tile(period, self.n_reps), "period_start"),
                "amount": amount.ravel(),
                "currency": ["USD"] * (self.n_reps * n_q),
                "created_at": _timestamps(np.full(self.n_reps * n_q, created), "created_at"),
            }
        )
