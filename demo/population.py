"""The demo market: accounts and leads, with each lead's true chance to convert."""

from __future__ import annotations

import numpy as np
import polars as pl

from demo.catalog import (
    BRAND_HEADS,
    BRAND_TAILS,
    COMPANY_KINDS,
    COMPANY_QUALIFIERS,
    COUNTRIES,
    COUNTRY_REGION,
    COUNTRY_WEIGHTS,
    DAY,
    FIRST_NAMES,
    INDUSTRIES,
    JOHN_DOE_EMAIL,
    LAST_NAMES,
    LEAD_COLUMNS,
    MONTH_FACTOR,
    PUBLIC_SECTOR_INDUSTRIES,
    SEGMENT_CONVERSION,
    SOURCES,
    STRATEGIC_EMPLOYEE_MIN,
    T_NA,
    T_PUBLIC,
    T_STRATEGIC,
    TERRITORY_REASONS,
    TITLES,
    UNKNOWN_INDUSTRY_SHARE,
    WEEKDAY_FACTOR,
    YEARLY_GROWTH,
)
from demo.draws import (
    id_column,
    labels,
    lognormal_days,
    pick,
    sigmoid,
    timestamps,
    uuid_strings,
)
from demo.org import OrgDraws
from demo.scoring import placeholder_scores


class PopulationDraws(OrgDraws):
    """Draws accounts and leads (creation times, sources, owners, engagement, outcomes)."""

    def _draw_accounts(self) -> None:
        rng = self.rng
        m = max(20, self.n_leads // 5)
        self.n_accounts = m
        self.account_ids = uuid_strings(rng, m)
        capacity = len(BRAND_HEADS) * len(BRAND_TAILS) * len(COMPANY_KINDS) * len(COMPANY_QUALIFIERS)
        combo = rng.permutation(capacity)[: min(m, capacity)]
        if m > capacity:
            combo = np.concatenate([combo, rng.integers(0, capacity, m - capacity)])
        head, rest = np.divmod(combo, len(BRAND_TAILS) * len(COMPANY_KINDS) * len(COMPANY_QUALIFIERS))
        tail, rest = np.divmod(rest, len(COMPANY_KINDS) * len(COMPANY_QUALIFIERS))
        kind, qual = np.divmod(rest, len(COMPANY_QUALIFIERS))
        self.acc_head, self.acc_tail, self.acc_kind, self.acc_qual = head, tail, kind, qual

        industry = pick(rng, [i[1] for i in INDUSTRIES], m)
        industry[rng.random(m) < UNKNOWN_INDUSTRY_SHARE] = -1
        self.acc_industry = industry
        country = pick(rng, COUNTRY_WEIGHTS, m)
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
        day_index = pick(rng, weights, n)
        seconds_of_day = rng.normal(15.5 * 3600, 3.2 * 3600, n).clip(0, DAY - 1)
        return self.start + day_index * DAY + np.floor(seconds_of_day)

    def _draw_leads(self) -> None:
        rng = self.rng
        n = self.n_leads
        self.lead_ids = uuid_strings(rng, n)
        created = self._draw_lead_times(n)
        account = np.minimum((self.n_accounts * rng.random(n) ** 1.8).astype(np.int64), self.n_accounts - 1)
        source = pick(rng, [s[1] for s in SOURCES], n)
        title = pick(rng, [t[1] for t in TITLES], n)
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
        p_convert = sigmoid(logit)
        converts = rng.random(n) < p_convert
        convert_lag = np.maximum(lognormal_days(rng, 18.0, 0.8, n), 3600.0)
        drop_lag = lognormal_days(rng, 20.0, 0.9, n)
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
                    "id": id_column("id", self.lead_ids),
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
        self.opp_ids = uuid_strings(rng, len(self.opp_lead))

    def _company_names(self, rows: np.ndarray | None = None) -> pl.DataFrame:
        pick = slice(None) if rows is None else rows
        frame = pl.DataFrame(
            {
                "head": labels(BRAND_HEADS, self.acc_head[pick], "head"),
                "tail": labels(BRAND_TAILS, self.acc_tail[pick], "tail"),
                "kind": labels(COMPANY_KINDS, self.acc_kind[pick], "kind"),
                "qual": labels(COMPANY_QUALIFIERS, self.acc_qual[pick], "qual"),
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
                "id": id_column("id", self.account_ids),
                "name": names["name"],
                "domain": names["domain"],
                "industry": labels([i[0] for i in INDUSTRIES], self.acc_industry, "industry"),
                "employee_count": self.acc_employees,
                "annual_revenue": self.acc_revenue,
                "country": labels(COUNTRIES, self.acc_country, "country"),
                "owner_id": id_column("owner_id", self.rep_ids, self.acc_owner),
                "territory_id": id_column("territory_id", self.territory_ids, self.acc_territory),
                "created_at": timestamps(self.acc_created, "created_at"),
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
            title=labels([t[0] for t in TITLES], self.lead_title, "title"),
            engagement_score=self.lead_engagement,
        )

    def _leads_frame(self) -> pl.DataFrame:
        n = self.n_leads
        j = n - 1
        account = self.lead_account
        employees = self.acc_employees[account].copy()
        revenue = self.acc_revenue[account].copy()
        employees[j], revenue[j] = 500, 50_000_000
        industry = labels([i[0] for i in INDUSTRIES], self.lead_industry, "industry")
        industry[j] = "Technology"
        country = labels(COUNTRIES, self.acc_country[account], "country")
        country[j] = "US"
        names = self._company_names(account)
        company = names["name"]
        company[j] = "Example Corp"
        first = labels(FIRST_NAMES, self.lead_first, "first_name")
        last = labels(LAST_NAMES, self.lead_last, "last_name")
        first[j], last[j] = "John", "Doe"
        source_names = [s[0] for s in SOURCES]
        source = labels(source_names, self.lead_source, "source")
        has_campaign = np.array([s[4] for s in SOURCES])[self.lead_source]
        created_dt = timestamps(self.lead_created, "created_at")
        opp_of_lead = np.full(n, -1)
        opp_of_lead[self.opp_lead] = np.arange(len(self.opp_lead))
        owner = id_column("owner_id", self.rep_ids, self.lead_owner)
        scores = self._lead_scores(industry, employees, revenue)
        frame = pl.DataFrame(
            {
                "id": id_column("id", self.lead_ids),
                "first_name": first,
                "last_name": last,
                "n": np.arange(n),
                "domain": names["domain"],
                "phone": self.lead_phone,
                "company": company,
                "title": labels([t[0] for t in TITLES], self.lead_title, "title"),
                "industry": industry,
                "employee_count": employees,
                "annual_revenue": revenue,
                "country": country,
                "source": source,
                "has_campaign": has_campaign,
                "status": labels(("new", "contacted", "qualified", "unqualified", "converted"), self.lead_status, "s"),
                "engagement_score": self.lead_engagement,
                "score": scores,
                "owner_id": owner,
                "territory_id": id_column("territory_id", self.territory_ids, self.lead_territory),
                "territory_reason": labels(TERRITORY_REASONS, self.lead_territory, "territory_reason"),
                "account_id": id_column("account_id", self.account_ids, np.where(np.arange(n) == j, -1, account)),
                "converted_opportunity_id": id_column("converted_opportunity_id", self.opp_ids, opp_of_lead),
                "converted_at": timestamps(self.lead_converted_at, "converted_at"),
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
