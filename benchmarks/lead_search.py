"""Lead search latency (``crm.leads.search_leads``) on a database of about 1,000,000 leads.

Usage (your own database, e.g. after ``python -m crm seed-demo --leads 1000000``):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_x \
        .venv/bin/python benchmarks/lead_search.py [--per-kind 40] [--result benchmarks/results/lead_search.md]

A mix of what people type and click: substring searches on email, last name and company
(admin view: all leads), status and score filters, a rep's own list sorted by score, a manager's
team with a search, deep pages. Each call is the whole service call (visibility, count, one page
of ORM rows). Reports p50/p95/max per kind and the p95 over all calls (target: ≤ 50 ms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy
from sqlalchemy import func, select, text

from core.db import get_engine, session_factory
from crm.actors import Actor, actor_from_user
from crm.leads import search_leads
from models import Lead, User

TARGET_P95_MS = 50.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _samples(session: Any, n: int, rng: random.Random) -> list[Any]:
    """Random existing leads (TABLESAMPLE keeps it cheap at 1M rows)."""
    rows = session.execute(
        text(
            "SELECT first_name, last_name, email, company FROM leads TABLESAMPLE SYSTEM (1) "
            "WHERE email IS NOT NULL AND last_name IS NOT NULL AND company IS NOT NULL LIMIT :n"
        ),
        {"n": n * 5},
    ).all()
    rng.shuffle(rows)
    return rows[:n]


def build_cases(session: Any, per_kind: int, rng: random.Random) -> list[tuple[str, Actor, dict[str, Any]]]:
    """(kind, actor, query) for every call of the run, shuffled."""
    admin = actor_from_user(session.scalar(select(User).where(User.role == "admin").limit(1)))
    manager = actor_from_user(session.scalar(select(User).where(User.role == "manager").order_by(User.email).limit(1)))
    rep_ids = session.scalars(
        select(Lead.owner_id).where(Lead.owner_id.is_not(None)).group_by(Lead.owner_id).order_by(func.count().desc())
    ).all()
    reps = [actor_from_user(session.get(User, rid)) for rid in rep_ids[:10]]
    reps = [r for r in reps if r.role == "rep"] or reps
    territory_ids = session.scalars(text("SELECT id FROM territories")).all()
    samples = _samples(session, per_kind, rng)
    today = dt.datetime.now(dt.UTC).date()
    cases: list[tuple[str, Actor, dict[str, Any]]] = []
    for i in range(per_kind):
        s = samples[i % len(samples)]
        last = s.last_name
        start = rng.randrange(0, max(1, len(last) - 4))
        cases += [
            ("email substring (admin)", admin, {"q": s.email.split("@")[0]}),
            ("last-name part (admin)", admin, {"q": last[start : start + 5]}),
            ("company part (admin)", admin, {"q": s.company[: max(4, len(s.company) // 2)]}),
            ("full name (admin)", admin, {"q": f"{s.first_name} {s.last_name}"}),
            ("status + score sort (admin)", admin, {"status": rng.choice(["new", "contacted", "qualified"])}),
            ("rep's own, by score", rng.choice(reps), {}),
            ("rep's own + search", rng.choice(reps), {"q": last[:4]}),
            ("manager's team + status", manager, {"status": "qualified"}),
            (
                "territory + score + dates",
                admin,
                {
                    "territory_id": rng.choice(territory_ids),
                    "score_min": 60,
                    "created_from": today - dt.timedelta(days=rng.randint(30, 400)),
                },
            ),
            ("page 20, newest first", admin, {"sort": "created_desc", "offset": 1000}),
        ]
    rng.shuffle(cases)
    return cases


def run(per_kind: int, seed: int) -> tuple[dict[str, list[float]], int]:
    """Time every case; returns {kind: [ms, ...]} and the number of leads."""
    factory = session_factory(get_engine())
    rng = random.Random(seed)
    with factory() as session:
        total = session.scalar(text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'leads'"))
        cases = build_cases(session, per_kind, rng)
    timings: dict[str, list[float]] = {}
    with factory() as session:
        for _kind, actor, query in cases[: min(len(cases), 30)]:  # warm-up: caches, plans, connections
            search_leads(session=session, actor=actor, query=query)
        session.rollback()
        for kind, actor, query in cases:
            started = time.perf_counter()
            page = search_leads(session=session, actor=actor, query=query)
            _ = [row.email for row in page.rows]
            timings.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
            session.rollback()
    return timings, int(total or 0)


def _load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "n/a"


def report(timings: dict[str, list[float]], leads: int, load_before: str, load_after: str) -> str:
    """The result as Markdown."""
    everything = [t for ts in timings.values() for t in ts]
    with get_engine().connect() as conn:
        pg_version = conn.execute(text("SHOW server_version")).scalar()
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model")
        ),
        "unknown",
    )
    p95 = _percentile(everything, 0.95)
    lines = [
        "# Lead search benchmark (`benchmarks/lead_search.py`)",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.machine()}, {cpu}, {_nproc()} cores (shared with other engineers' jobs)",
        f"- Versions: Python {platform.python_version()}, PostgreSQL {pg_version}, SQLAlchemy {sqlalchemy.__version__}",
        f"- Data: about {leads:,} leads (`python -m crm seed-demo --leads 1000000 --seed 42`)",
        f"- Load before: `{load_before}`",
        f"- Load after: `{load_after}`",
        "",
        f"**All calls: n = {len(everything)}, p50 = {_percentile(everything, 0.5):.1f} ms, "
        f"p95 = {p95:.1f} ms, max = {max(everything):.1f} ms — target p95 ≤ {TARGET_P95_MS:.0f} ms: "
        f"{'met' if p95 <= TARGET_P95_MS else 'NOT met'}.**",
        "",
        "| kind | n | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, values in sorted(timings.items()):
        lines.append(
            f"| {kind} | {len(values)} | {_percentile(values, 0.5):.1f} | {_percentile(values, 0.95):.1f} "
            f"| {max(values):.1f} |"
        )
    return "\n".join(lines) + "\n"


def _nproc() -> str:
    return str(os.cpu_count())


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the Markdown report and optionally write it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=40, help="calls per kind of query (default 40)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--result", type=Path, help="write the Markdown report here")
    args = parser.parse_args(argv)
    load_before = _load()
    timings, leads = run(args.per_kind, args.seed)
    text_report = report(timings, leads, load_before, _load())
    print(text_report)
    if args.result:
        args.result.parent.mkdir(parents=True, exist_ok=True)
        args.result.write_text(text_report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
