"""``python -m crm seed-demo``: load a realistic, deterministic demo sales org into PostgreSQL.

Generation lives in :mod:`demo.generator`, bulk loading in :mod:`demo.load`; this module
checks the target, runs both in one transaction, analyzes the tables and writes the truth file.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import psycopg
from sqlalchemy import Engine

from core.db import database_url, libpq_url
from core.errors import ConfigError
from crm import scoring
from crm.errors import DomainError
from crm.security import hash_password
from demo.catalog import DEMO_PASSWORD, TERRITORIES, reps_for
from demo.generator import DemoGenerator
from demo.load import (
    copy_frames,
    disable_touch_triggers,
    drop_deferred_schema,
    enable_triggers,
    restore_foreign_keys,
    restore_indexes,
)
from demo.scoring import LeadScorer

SEED_TABLES: tuple[str, ...] = (
    "territories",
    "teams",
    "users",
    "accounts",
    "leads",
    "opportunities",
    "opportunity_stage_history",
    "quotas",
)
APPLICATION_NAME = "seed-demo"  # shown in pg_stat_activity while loading
# Tables whose indexes are rebuilt after the load (the big ones).
BULK_TABLES: tuple[str, ...] = ("accounts", "leads", "opportunities", "opportunity_stage_history", "quotas")
# Tables that must be empty before seeding (besides users, checked by email).
MUST_BE_EMPTY: tuple[str, ...] = ("leads", "opportunities", "accounts", "territories", "teams", "quotas")


@dataclass(frozen=True)
class SeedResult:
    """What a seed run loaded: rows per table, wall-clock seconds, the truth, index rebuild times."""

    counts: dict[str, int]
    seconds: float
    truth: pl.DataFrame
    statement_seconds: dict[str, float]

    def summary(self) -> str:
        """One line: counts per table and the time taken."""
        parts = ", ".join(f"{table} {rows:,}" for table, rows in self.counts.items())
        return f"seeded demo data: {parts} in {self.seconds:.1f} s"


def demo_emails(leads: int) -> list[str]:
    """The sign-in emails a seed of ``leads`` leads creates."""
    return [
        "admin@example.com",
        "analyst@example.com",
        *(f"manager{i + 1}@example.com" for i in range(len(TERRITORIES))),
        *(f"rep{i + 1}@example.com" for i in range(reps_for(leads))),
    ]


def _libpq(database: str | Engine | None) -> str:
    if database is None:
        return libpq_url(database_url())
    if isinstance(database, Engine):
        return libpq_url(database.url.render_as_string(hide_password=False))
    return libpq_url(database)


def count_leads(database: str | Engine | None = None) -> int:
    """How many leads the database holds."""
    with psycopg.connect(_libpq(database)) as conn:
        row = conn.execute("SELECT count(*) FROM leads").fetchone()
    return int(row[0]) if row else 0


def lead_scorer() -> LeadScorer:
    """Scores through the product's ``crm.scoring.calculate_score``, vectorised by its bands."""
    return LeadScorer(
        score=scoring.calculate_score,
        employee_bands=tuple(float(bound) for bound, _points in scoring.EMPLOYEE_BANDS),
        revenue_bands=tuple(float(bound) for bound, _points in scoring.REVENUE_BANDS),
        separable=True,  # documented as fit + ENGAGEMENT_WEIGHT × engagement
    )


def _refuse_unless_empty(conn: psycopg.Connection, leads: int) -> None:
    for table in MUST_BE_EMPTY:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        if row and row[0]:
            raise DomainError(
                f"The database already holds {row[0]:,} {table}; seed-demo loads only into an empty database "
                "(use --if-empty to skip quietly when it has data).",
                field=table,
            )
    taken = conn.execute(
        "SELECT email FROM users WHERE lower(email) = ANY(%s) ORDER BY email", [demo_emails(leads)]
    ).fetchall()
    if taken:
        names = ", ".join(r[0] for r in taken[:3]) + (" …" if len(taken) > 3 else "")
        raise DomainError(f"Demo users already exist ({names}); seed-demo needs those emails free.", field="users")


def _stderr_progress(started: float) -> Callable[[str], None]:
    def report(message: str) -> None:
        print(f"seed-demo [{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    return report


def seed_demo(
    *,
    leads: int,
    seed: int = 42,
    database: str | Engine | None = None,
    today: date | None = None,
    truth_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Generate and load the demo org for ``leads`` leads in one transaction; refuse a non-empty database."""
    if leads < 1:
        raise DomainError("--leads must be at least 1", field="leads")
    started = time.perf_counter()
    report = progress or (lambda _message: None)
    today = today or datetime.now(UTC).date()
    password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is deliberately slow
    generator = DemoGenerator(leads=leads, seed=seed, today=today, password_hash=password_hash, scorer=lead_scorer())
    with psycopg.connect(_libpq(database), application_name=APPLICATION_NAME) as conn:
        with conn.transaction():
            conn.execute("SET LOCAL TimeZone = 'UTC'")
            conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
            conn.execute("LOCK TABLE " + ", ".join(SEED_TABLES) + " IN SHARE ROW EXCLUSIVE MODE")
            _refuse_unless_empty(conn, leads)
            deferred = drop_deferred_schema(conn, index_tables=BULK_TABLES, fk_tables=SEED_TABLES)
            triggers = disable_touch_triggers(conn, BULK_TABLES)
            phase_seconds: dict[str, float] = {}

            def index_table(table: str) -> None:
                seconds = restore_indexes(conn, deferred, table=table)
                phase_seconds.update(seconds)
                if seconds:
                    report(f"indexed {table} ({len(seconds)} keys and indexes, {sum(seconds.values()):.1f} s)")

            counts = copy_frames(conn, generator.tables(), report, freeze=BULK_TABLES, after_copy=index_table)
            enable_triggers(conn, triggers)
            fk_seconds = restore_foreign_keys(conn, deferred)
            phase_seconds.update(fk_seconds)
            report(f"validated {len(fk_seconds)} foreign keys ({sum(fk_seconds.values()):.1f} s)")
        report("committed")
        conn.autocommit = True
        for table in SEED_TABLES:
            conn.execute(f"ANALYZE {table}")
        report("analyzed")
    truth = generator.truth
    assert truth is not None
    if truth_path is not None:
        write_truth(truth, truth_path)
        report(f"wrote {truth.height:,} true probabilities to {truth_path}")
    return SeedResult(
        counts=counts, seconds=time.perf_counter() - started, truth=truth, statement_seconds=phase_seconds
    )


def write_truth(truth: pl.DataFrame, path: Path) -> None:
    """Write the true probabilities (entity, id, p_true, outcome, is_observed) as Parquet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    truth.write_parquet(path)


def seed_demo_command(*, leads: int, seed: int, truth_path: Path | None, if_empty: bool) -> int:
    """The CLI entry: skip when asked and data exists, else seed and print one summary line."""
    started = time.perf_counter()
    try:
        if if_empty:
            existing = count_leads()
            if existing:
                print(f"seed-demo skipped: the database already holds {existing:,} leads (--if-empty)")
                return 0
        result = seed_demo(leads=leads, seed=seed, truth_path=truth_path, progress=_stderr_progress(started))
    except psycopg.errors.UndefinedTable:
        raise ConfigError("The database has no schema yet: run `python -m crm migrate` first.") from None
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"Cannot reach PostgreSQL ({reason}): check DATABASE_URL.") from None
    print(result.summary())
    return 0
