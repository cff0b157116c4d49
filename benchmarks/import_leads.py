"""Benchmark: import 1,000,000 generated leads from CSV, then re-import the same file (a no-op).

Usage (its own database; never a shared one):
    createdb -h 127.0.0.1 -U postgres bench_import
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_import .venv/bin/python benchmarks/import_leads.py

Targets (issue): 1M rows in <= 60 s with < 1 GB peak memory. Writes benchmarks/results/import_leads.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = [
    "external_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "employee_count",
    "annual_revenue",
    "country",
    "source",
    "status",
    "engagement_score",
    "created_at",
]
FIRST = ["John", "Maria", "Wei", "Aisha", "Lars", "Sofia", "Kenji", "Olu", "Ana", "Ravi", "Emma", "Noah"]
LAST = ["Doe", "Silva", "Chen", "Khan", "Berg", "Rossi", "Sato", "Adeyemi", "Lopez", "Patel", "Smith", "Brown"]
TITLES = ["VP Engineering", "CTO", "Director of Sales", "Engineer", "Analyst", "Student", "Manager", "CEO", ""]
INDUSTRIES = ["Technology", "Finance", "Healthcare", "Retail", "Manufacturing", "Education", "Unknown", ""]
COUNTRIES = ["US", "Germany", "United Kingdom", "Brazil", "India", "Japan", "France", "CA", ""]
SOURCES = ["web", "referral", "event", "webinar", "partner", "outbound", "paid_search", "social"]
STATUSES = ["New", "contacted", "qualified", "unqualified", "converted"]


def generate(path: Path, rows: int, seed: int) -> None:
    """A deterministic CSV of ``rows`` leads (mixed case statuses, blanks, ISO and 'YYYY-MM-DD HH:MM' dates)."""
    rng = random.Random(seed)
    start = datetime(2021, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            created = start + timedelta(minutes=rng.randrange(0, 5 * 365 * 24 * 60))
            writer.writerow(
                [
                    f"L{i:07d}",
                    first,
                    last,
                    f"{first.lower()}.{last.lower()}.{i}@example{i % 97}.com",
                    f"+1 555 {i % 10_000_000:07d}",
                    f"Company {i % 50_000}",
                    rng.choice(TITLES),
                    rng.choice(INDUSTRIES),
                    rng.choice(["", "5", "50", "250", "1200", "10000"]),
                    rng.choice(["", "100000", "2500000", "50000000.50"]),
                    rng.choice(COUNTRIES),
                    rng.choice(SOURCES),
                    rng.choice(STATUSES),
                    rng.randrange(0, 101),
                    created.strftime("%Y-%m-%d %H:%M") if i % 2 else created.date().isoformat(),
                ]
            )


def prepare_database(url: str) -> None:
    """Migrate, empty the lead tables and create territories with reps so routing is exercised."""
    from sqlalchemy import text

    from core.db import get_engine, transaction
    from crm.migrate import migrate
    from crm.users import NewUser, create_user

    migrate(url)
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_log, opportunity_stage_history, opportunities, leads, accounts CASCADE"))
        conn.execute(text("TRUNCATE users, teams, territories CASCADE"))
    rules = {
        "North America": [{"countries": ["US", "CA"]}],
        "EMEA": [{"regions": ["EMEA"]}],
        "APAC": [{"regions": ["APAC"]}],
        "Enterprise": [{"employee_min": 1000}],
    }
    with engine.begin() as conn:
        for name, rule in rules.items():
            conn.execute(
                text("INSERT INTO territories (name, rules, priority) VALUES (:n, CAST(:r AS jsonb), :p)"),
                {"n": name, "r": __import__("json").dumps(rule), "p": 200 if name == "Enterprise" else 100},
            )
    with transaction(engine) as session:
        for territory in rules:
            for k in range(3):
                create_user(
                    session=session,
                    data=NewUser(
                        email=f"rep{k}.{territory.split()[0].lower()}@bench.example",
                        password="benchmark-password",  # noqa: S106 - throwaway benchmark users
                        role="rep",
                        territory_name=territory,
                    ),
                )


def run_import(url: str, path: Path) -> tuple[float, object]:
    """Seconds and report of one import of ``path``."""
    from core.db import get_engine
    from crm.importer import import_csv

    started = time.perf_counter()
    report = import_csv(engine_or_session=get_engine(url), entity="leads", source=path)
    return time.perf_counter() - started, report


def main() -> None:
    """Generate, import twice, measure, write the result file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--csv", type=Path, help="the generated file (default: in the temp folder, by rows and seed)")
    parser.add_argument("--result", type=Path, default=ROOT / "benchmarks" / "results" / "import_leads.md")
    args = parser.parse_args()
    from core.db import normalize_url

    url = normalize_url(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_import"))
    args.csv = args.csv or Path(tempfile.gettempdir()) / f"bench_import_leads_{args.rows}_{args.seed}.csv"
    if not args.csv.exists():  # deterministic: a file from an earlier run with the same rows and seed is reused
        t = time.perf_counter()
        generate(args.csv, args.rows, args.seed)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - t:.1f} s -> {args.csv}")
    prepare_database(url)
    load_before = os.getloadavg()
    first_s, first = run_import(url, args.csv)
    print(f"first import: {first_s:.1f} s — {first.summary()}")  # type: ignore[attr-defined]
    second_s, second = run_import(url, args.csv)
    print(f"re-import:    {second_s:.1f} s — {second.summary()}")  # type: ignore[attr-defined]
    load_after = os.getloadavg()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB")
    write_result(args, first_s, first, second_s, second, peak_mb, load_before, load_after)


def write_result(args, first_s, first, second_s, second, peak_mb, load_before, load_after) -> None:  # type: ignore[no-untyped-def]
    """Record the figures with machine, versions and load."""
    import polars
    import psycopg
    import sqlalchemy

    server = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    size_mb = args.csv.stat().st_size / 1e6
    lines = [
        "# Benchmark: import 1,000,000 leads from CSV",
        "",
        f"Recorded {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/import_leads.py` "
        f"(rows {args.rows:,}, seed {args.seed}).",
        "",
        f"- Machine: {platform.node()}, {os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}",
        f"- Python {platform.python_version()}, PostgreSQL {server}, psycopg {psycopg.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}, polars {polars.__version__} (not used by the importer)",
        f"- Load average before / after: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} / "
        f"{load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} "
        "(2 cores shared with other engineers' work)",
        f"- File: {size_mb:.0f} MB, 15 columns, UTF-8; 4 territories with 3 reps each, so every new lead is scored "
        "and routed",
        "",
        "| run | seconds | rows/s | inserted | updated | unchanged | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| first import | {first_s:.1f} | {first.rows_read / first_s:,.0f} | {first.inserted:,} | {first.updated:,} | "
        f"{first.unchanged:,} | {first.error_count} |",
        f"| re-import (same file) | {second_s:.1f} | {second.rows_read / second_s:,.0f} | {second.inserted:,} | "
        f"{second.updated:,} | {second.unchanged:,} | {second.error_count} |",
        "",
        f"Peak resident memory of the whole process (generation excluded when the CSV was cached, both imports): "
        f"**{peak_mb:.0f} MB** (`resource.getrusage(RUSAGE_SELF).ru_maxrss`).",
        "",
        f"Target: ≤ 60 s and < 1 GB for 1M rows — first import {'met' if first_s <= 60 else 'NOT met'}, "
        f"memory {'met' if peak_mb < 1024 else 'NOT met'}.",
        "",
    ]
    args.result.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.result}")


if __name__ == "__main__":
    main()
