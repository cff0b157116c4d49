"""Demo data generator: deterministic, consistent with every rule of the schema, realistic in shape."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from core.settings import get_settings
from crm.cli import main
from crm.errors import DomainError
from crm.security import verify_password
from demo.catalog import reps_for
from demo.generator import DemoGenerator
from demo.scoring import LeadScorer
from demo.seed import SEED_TABLES, SeedResult, seed_demo
from models.domain import LOST_REASONS, STAGE_FORECAST_CATEGORY, STAGE_PROBABILITY

LEADS = 2000
SEED = 7
TODAY = date(2026, 11, 28)

SCHEMA_QUERY = """
SELECT 'index ' || indexdef FROM pg_indexes WHERE tablename = ANY(:tables)
UNION ALL
SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE conrelid = ANY(CAST(:tables AS regclass[]))
UNION ALL
SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname || ' ' || tgenabled::text
FROM pg_trigger WHERE tgrelid = ANY(CAST(:tables AS regclass[])) AND NOT tgisinternal
ORDER BY 1
"""


def _schema(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text(SCHEMA_QUERY), {"tables": list(SEED_TABLES)}).scalars())


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join((*SEED_TABLES, "audit_log", "deleted_records")) + " CASCADE"))


@pytest.fixture(scope="module")
def schema_before(engine: Engine) -> list[str]:
    return _schema(engine)


@pytest.fixture(scope="module")
def truth_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("truth") / "truth.parquet"


@pytest.fixture(scope="module")
def seeded(engine: Engine, schema_before: list[str], truth_path: Path) -> Iterator[SeedResult]:
    """One demo seed of 2,000 leads shared by the read-only tests of this module."""
    _empty(engine)
    result = seed_demo(leads=LEADS, seed=SEED, database=engine, today=TODAY, truth_path=truth_path)
    yield result
    _empty(engine)


def _scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _rows(engine: Engine, sql: str, **params: object) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def _generate(seed: int) -> dict[str, pl.DataFrame]:
    generator = DemoGenerator(leads=500, seed=seed, today=TODAY, password_hash="hash", scorer=None)
    return dict(generator.tables())


# -- generation ---------------------------------------------------------------------------------------


def test_same_seed_generates_identical_tables_and_another_seed_does_not() -> None:
    first, second, other = _generate(3), _generate(3), _generate(4)
    for table, frame in first.items():
        assert frame.equals(second[table]), table
    assert set(first["leads"]["id"]).isdisjoint(set(other["leads"]["id"]))


def test_loaded_ids_are_the_ones_the_seed_generates(engine: Engine, seeded: SeedResult) -> None:
    generator = DemoGenerator(leads=LEADS, seed=SEED, today=TODAY, password_hash="hash", scorer=None)
    expected = dict(generator.tables())
    for table in ("leads", "opportunities", "opportunity_stage_history"):
        loaded = {str(r[0]) for r in _rows(engine, f"SELECT id FROM {table}")}
        assert loaded == set(expected[table]["id"].to_list()), table


def test_scorer_matches_full_calls_even_when_the_score_is_not_fit_plus_engagement() -> None:
    def interacting(lead: dict) -> float:
        engagement = lead.get("engagement_score") or 0
        fit = 10 if lead.get("industry") == "Technology" else 2
        return round(min(100.0, fit * engagement / 12 + (lead.get("employee_count") or 0) / 100), 2)

    n = 400
    leads = {
        "industry": pl.Series(["Technology", None, "Retail", "Technology"] * (n // 4)),
        "employee_count": np.arange(n) % 7 * 10,
        "annual_revenue": np.arange(n) * 1000,
        "title": pl.Series(["CEO", "Engineer"] * (n // 2)),
        "engagement_score": np.arange(n) % 101,
    }
    expected = [
        interacting(
            {
                "industry": leads["industry"][i],
                "employee_count": float(leads["employee_count"][i]),
                "engagement_score": int(leads["engagement_score"][i]),
            }
        )
        for i in range(n)
    ]
    scores = LeadScorer(score=interacting, separable=True).scores(**leads)
    assert scores.tolist() == expected


# -- counts and shape ---------------------------------------------------------------------------------


def test_seed_loads_the_requested_leads_and_a_scaled_org(engine: Engine, seeded: SeedResult) -> None:
    counts = {table: _scalar(engine, f"SELECT count(*) FROM {table}") for table in SEED_TABLES}
    assert counts == seeded.counts
    assert counts["leads"] == LEADS
    assert counts["territories"] == 6
    assert counts["teams"] == 6
    assert counts["users"] == 2 + 6 + reps_for(LEADS)
    converted = _scalar(engine, "SELECT count(*) FROM leads WHERE status = 'converted'")
    assert counts["opportunities"] == converted > 0
    assert counts["opportunity_stage_history"] > 2 * counts["opportunities"]
    quarters = _scalar(engine, "SELECT count(DISTINCT period_start) FROM quotas")
    assert counts["quotas"] == reps_for(LEADS) * quarters
    assert quarters >= 14  # three years of history plus the next two quarters


def test_seed_prints_progress_and_the_summary_names_every_table(seeded: SeedResult) -> None:
    summary = seeded.summary()
    for table in SEED_TABLES:
        assert table in summary


def test_leads_span_three_years_with_fewer_on_weekends(engine: Engine, seeded: SeedResult) -> None:
    first, last = _rows(engine, "SELECT min(created_at)::date, max(created_at)::date FROM leads")[0]
    assert first <= TODAY - timedelta(days=3 * 365 - 7)
    assert last < TODAY
    weekend, weekday = _rows(
        engine,
        "SELECT count(*) FILTER (WHERE extract(isodow FROM created_at) >= 6),"
        " count(*) FILTER (WHERE extract(isodow FROM created_at) < 6) FROM leads",
    )[0]
    assert weekend / 2 < 0.4 * weekday / 5


def test_old_leads_are_mostly_resolved_and_recent_ones_open(engine: Engine, seeded: SeedResult) -> None:
    old_resolved = _scalar(
        engine,
        "SELECT avg((status IN ('converted', 'unqualified'))::int) FROM leads WHERE created_at < :cut",
        cut=TODAY - timedelta(days=180),
    )
    recent_open = _scalar(
        engine,
        "SELECT avg((status IN ('new', 'contacted', 'qualified'))::int) FROM leads WHERE created_at >= :cut",
        cut=TODAY - timedelta(days=7),
    )
    assert old_resolved > 0.75
    assert recent_open > 0.9


def test_referral_leads_convert_more_often_than_paid_search(engine: Engine, seeded: SeedResult) -> None:
    rates = dict(
        _rows(
            engine,
            "SELECT source, avg((status = 'converted')::int) FROM leads"
            " WHERE status IN ('converted', 'unqualified') GROUP BY source",
        )
    )
    assert rates["referral"] > rates["web"] > rates["paid_search"]


def test_john_doe_is_a_qualified_lead_owned_by_rep1(engine: Engine, seeded: SeedResult) -> None:
    rows = _rows(
        engine,
        "SELECT l.first_name, l.last_name, l.status, u.email, l.converted_opportunity_id FROM leads l"
        " JOIN users u ON u.id = l.owner_id WHERE l.email = 'john.doe@example.com'",
    )
    assert rows == [("John", "Doe", "qualified", "rep1@example.com", None)]


def test_demo_users_sign_in_with_the_demo_password(engine: Engine, seeded: SeedResult) -> None:
    users = dict(_rows(engine, "SELECT email, password_hash FROM users"))
    for email in ("admin@example.com", "analyst@example.com", "manager1@example.com", "rep1@example.com"):
        assert verify_password(users[email], "demo1234"), email
    assert len(set(users.values())) == 1
    roles = dict(_rows(engine, "SELECT role, count(*) FROM users GROUP BY role"))
    assert roles == {"admin": 1, "analyst": 1, "manager": 6, "rep": reps_for(LEADS)}
    orphans = _scalar(
        engine,
        "SELECT count(*) FROM users r JOIN teams t ON t.id = r.team_id"
        " WHERE r.role = 'rep' AND (r.manager_id IS DISTINCT FROM t.manager_id OR r.territory_id IS NULL)",
    )
    assert orphans == 0


# -- consistency --------------------------------------------------------------------------------------


def test_every_opportunity_history_starts_empty_and_ends_in_the_current_state(
    engine: Engine, seeded: SeedResult
) -> None:
    broken = _rows(
        engine,
        """
        WITH h AS (
            SELECT h.*, row_number() OVER w AS n, count(*) OVER (PARTITION BY opportunity_id) AS total,
                   lag(to_stage) OVER w AS previous_stage
            FROM opportunity_stage_history h
            WINDOW w AS (PARTITION BY opportunity_id ORDER BY changed_at, id)
        )
        SELECT o.id FROM opportunities o
        JOIN h AS first ON first.opportunity_id = o.id AND first.n = 1
        JOIN h AS last ON last.opportunity_id = o.id AND last.n = last.total
        WHERE first.from_stage IS NOT NULL
           OR first.changed_at <> o.created_at
           OR last.to_stage <> o.stage
           OR last.amount <> o.amount
           OR last.expected_close_date IS DISTINCT FROM o.expected_close_date
           OR (o.stage IN ('closed_won', 'closed_lost')) <> (o.closed_at IS NOT NULL)
           OR (o.closed_at IS NOT NULL AND o.closed_at <> last.changed_at)
        UNION ALL
        SELECT opportunity_id FROM h WHERE n > 1 AND from_stage IS DISTINCT FROM previous_stage
        """,
    )
    assert broken == []
    without_history = _scalar(
        engine,
        "SELECT count(*) FROM opportunities o"
        " WHERE NOT EXISTS (SELECT 1 FROM opportunity_stage_history h WHERE h.opportunity_id = o.id)",
    )
    assert without_history == 0


def test_history_holds_slips_backward_moves_and_amount_changes(engine: Engine, seeded: SeedResult) -> None:
    kinds = _rows(
        engine,
        """
        SELECT count(*) FILTER (WHERE from_stage = to_stage AND reason LIKE 'close date pushed%'),
               count(*) FILTER (WHERE from_stage = to_stage AND reason LIKE 'amount revised%'),
               count(*) FILTER (WHERE array_position(:stages, from_stage) > array_position(:stages, to_stage)
                                AND to_stage NOT IN ('closed_won', 'closed_lost') AND reason IS NOT NULL)
        FROM opportunity_stage_history
        """,
        stages=["prospecting", "discovery", "proposal", "negotiation", "closed_won", "closed_lost"],
    )[0]
    assert all(count > 0 for count in kinds), kinds
    pushed_later = _scalar(
        engine,
        """
        SELECT bool_and(expected_close_date > previous_close)
        FROM (SELECT expected_close_date, reason,
                     lag(expected_close_date) OVER (PARTITION BY opportunity_id ORDER BY changed_at) AS previous_close
              FROM opportunity_stage_history) h
        WHERE reason LIKE 'close date pushed%'
        """,
    )
    assert pushed_later is True


def test_opportunities_follow_stage_defaults_and_lost_deals_have_reasons(engine: Engine, seeded: SeedResult) -> None:
    rows = _rows(engine, "SELECT DISTINCT stage, probability, forecast_category, currency FROM opportunities")
    for stage, probability, category, currency in rows:
        assert probability == STAGE_PROBABILITY[stage]
        assert category == STAGE_FORECAST_CATEGORY[stage]
        assert currency == "USD"
    reasons = {
        r[0] for r in _rows(engine, "SELECT DISTINCT lost_reason FROM opportunities WHERE stage = 'closed_lost'")
    }
    assert reasons and reasons <= set(LOST_REASONS)
    stages = {r[0] for r in _rows(engine, "SELECT DISTINCT stage FROM opportunities")}
    assert {"closed_won", "closed_lost", "prospecting"} <= stages


def test_converted_leads_point_at_their_own_opportunity(engine: Engine, seeded: SeedResult) -> None:
    mismatched = _scalar(
        engine,
        """
        SELECT count(*) FROM leads l LEFT JOIN opportunities o ON o.id = l.converted_opportunity_id
        WHERE (l.status = 'converted') <> (o.id IS NOT NULL)
           OR (o.id IS NOT NULL AND (o.lead_id <> l.id OR o.created_at <> l.converted_at
                                     OR o.owner_id <> l.owner_id OR l.converted_at < l.created_at))
        """,
    )
    assert mismatched == 0


def test_leads_sit_in_the_territory_their_rules_give(engine: Engine, seeded: SeedResult) -> None:
    wrong = _scalar(
        engine,
        """
        SELECT count(*) FROM leads l JOIN territories t ON t.id = l.territory_id
        WHERE l.email <> 'john.doe@example.com' AND t.name <> CASE
            WHEN l.employee_count >= 5000 THEN 'Strategic Accounts'
            WHEN l.country IN ('US', 'CA') AND l.industry IN ('Government', 'Education') THEN 'Public Sector'
            WHEN l.country IN ('US', 'CA') THEN 'North America'
            WHEN l.country IN ('BR', 'MX', 'AR', 'CL', 'CO') THEN 'LATAM'
            WHEN l.country IN ('AU', 'JP', 'SG', 'IN', 'NZ') THEN 'APAC'
            ELSE 'EMEA' END
        """,
    )
    assert wrong == 0


def test_lead_scores_are_the_product_scores(engine: Engine, seeded: SeedResult) -> None:
    from crm import scoring

    rows = _rows(
        engine,
        "SELECT industry, employee_count, annual_revenue, title, engagement_score, score FROM leads"
        " ORDER BY id LIMIT 300",
    )
    for industry, employees, revenue, title, engagement, score in rows:
        lead = {
            "industry": industry,
            "employee_count": employees,
            "annual_revenue": revenue,
            "title": title,
            "engagement_score": engagement,
        }
        assert float(score) == pytest.approx(scoring.calculate_score(lead), abs=0.006), lead


def test_rows_carry_the_load_time_and_version_1_and_triggers_work_afterwards(
    engine: Engine, seeded: SeedResult
) -> None:
    stamps = _rows(
        engine,
        "SELECT DISTINCT updated_at, version FROM leads UNION SELECT DISTINCT updated_at, version FROM opportunities"
        " UNION SELECT DISTINCT updated_at, 1 FROM opportunity_stage_history"
        " UNION SELECT DISTINCT updated_at, version FROM users",
    )
    assert len(stamps) == 1 and stamps[0][1] == 1
    with engine.connect() as conn, conn.begin() as tx:
        row = conn.execute(
            text(
                "UPDATE leads SET engagement_score = 1 WHERE email = 'john.doe@example.com'"
                " RETURNING version, updated_at > :loaded"
            ),
            {"loaded": stamps[0][0]},
        ).one()
        tx.rollback()
    assert tuple(row) == (2, True)


def test_indexes_keys_and_foreign_keys_are_restored(
    engine: Engine, seeded: SeedResult, schema_before: list[str]
) -> None:
    assert _schema(engine) == schema_before


# -- truth file ---------------------------------------------------------------------------------------


def test_truth_file_holds_a_probability_and_outcome_per_lead_and_opportunity(
    engine: Engine, seeded: SeedResult, truth_path: Path
) -> None:
    truth = pl.read_parquet(truth_path)
    assert truth.columns[:4] == ["entity", "id", "p_true", "outcome"]
    assert truth.filter(pl.col("entity") == "lead").height == LEADS
    assert truth.filter(pl.col("entity") == "opportunity").height == seeded.counts["opportunities"]
    assert truth["p_true"].is_between(0, 1).all()
    won = {str(r[0]) for r in _rows(engine, "SELECT id FROM opportunities WHERE stage = 'closed_won'")}
    truth_won = truth.filter((pl.col("entity") == "opportunity") & pl.col("outcome") & pl.col("is_observed"))
    assert set(truth_won["id"].to_list()) == won
    converted = truth.filter((pl.col("entity") == "lead") & pl.col("outcome"))
    assert converted["p_true"].mean() > truth.filter(pl.col("entity") == "lead")["p_true"].mean()


# -- refusing to duplicate ----------------------------------------------------------------------------


def test_if_empty_does_nothing_on_a_filled_database(
    engine: Engine, seeded: SeedResult, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed-demo", "--leads", "50", "--if-empty"]) == 0
    assert "skipped" in capsys.readouterr().out
    assert _scalar(engine, "SELECT count(*) FROM leads") == LEADS


def test_seeding_a_filled_database_is_refused_and_changes_nothing(
    engine: Engine, seeded: SeedResult, schema_before: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(DomainError, match="already holds"):
        seed_demo(leads=50, seed=1, database=engine, today=TODAY)
    assert main(["seed-demo", "--leads", "50"]) == 2
    assert "already holds" in capsys.readouterr().err
    assert _scalar(engine, "SELECT count(*) FROM leads") == LEADS
    assert _schema(engine) == schema_before


def test_demo_leads_have_distinct_emails_and_phones(engine: Engine, seeded: SeedResult) -> None:
    row = _rows(
        engine, "SELECT count(*), count(DISTINCT lower(email)), count(phone), count(DISTINCT phone) FROM leads"
    )[0]
    assert row[0] == row[1] == LEADS
    assert row[2] == row[3] > LEADS / 2


def test_seeding_a_database_without_schema_says_to_migrate_first(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"t_noschema_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        monkeypatch.setenv("DATABASE_URL", make_url(database_url).set(database=name).render_as_string(False))
        get_settings.cache_clear()
        assert main(["seed-demo", "--leads", "10"]) == 2
        assert "python -m crm migrate" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
