"""Single-lead scoring time (``crm.scoring.calculate_score``), target: well under 1 ms a call.

    .venv/bin/python benchmarks/scoring.py [--calls 200000] [--result benchmarks/results/scoring.md]

Scores a pool of varied leads (all fields, some missing, numbers as text) in a loop; reports the
mean per call and the p99/max of batches of 100 calls divided by 100, plus ``explain_score``.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm.scoring import calculate_score, explain_score

INDUSTRIES = ["Technology", "Finance", "Healthcare", "Retail", "Unknown", "Education", None, "Mining"]
TITLES = ["VP Engineering", "CTO", "Director of IT", "Sales Manager", "Student", "Engineer", None, "Buyer"]


def lead_pool(n: int, seed: int) -> list[dict[str, Any]]:
    """Varied leads, some with missing keys and numbers given as text."""
    rng = random.Random(seed)
    pool: list[dict[str, Any]] = []
    for _ in range(n):
        lead: dict[str, Any] = {
            "industry": rng.choice(INDUSTRIES),
            "employee_count": rng.choice([5, 40, 250, 1200, 20000, None, "300"]),
            "annual_revenue": rng.choice([100_000, 2_000_000, 50_000_000, 900_000_000, None, "1,500,000"]),
            "title": rng.choice(TITLES),
            "engagement_score": rng.choice([0, 10, 45, 85, 100, None]),
        }
        for key in list(lead):
            if rng.random() < 0.1:
                del lead[key]
        pool.append(lead)
    return pool


def measure(fn: Callable[[dict[str, Any]], object], pool: list[dict[str, Any]], calls: int) -> dict[str, float]:
    """Mean µs per call over ``calls``; p99 and max of 100-call batches, per call."""
    for lead in pool[:1000]:
        fn(lead)
    batch = 100
    per_call: list[float] = []
    started = time.perf_counter()
    size = len(pool)
    for b in range(calls // batch):
        t0 = time.perf_counter_ns()
        for i in range(b * batch, (b + 1) * batch):
            fn(pool[i % size])
        per_call.append((time.perf_counter_ns() - t0) / batch / 1000)
    elapsed = time.perf_counter() - started
    per_call.sort()
    return {
        "mean_us": elapsed / (len(per_call) * batch) * 1e6,
        "p99_us": per_call[int(0.99 * (len(per_call) - 1))],
        "max_us": per_call[-1],
    }


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    """Run, print and optionally write the Markdown result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--result", type=Path)
    args = parser.parse_args(argv)
    pool = lead_pool(10_000, seed=1)
    load_before = _uptime()
    score = measure(calculate_score, pool, args.calls)
    explain = measure(explain_score, pool, args.calls // 4)
    load_after = _uptime()
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "unknown",
    )
    text = "\n".join(
        [
            "# Lead scoring benchmark (`benchmarks/scoring.py`)",
            "",
            f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
            f"- Machine: {platform.machine()}, {cpu}, {os.cpu_count()} cores (shared with other engineers' jobs)",
            f"- Python {platform.python_version()}",
            f"- Load before: `{load_before}`",
            f"- Load after: `{load_after}`",
            "",
            "| function | calls | mean µs/call | p99 µs/call (100-call batches) | max µs/call |",
            "|---|---:|---:|---:|---:|",
            f"| calculate_score | {args.calls:,} | {score['mean_us']:.1f} | {score['p99_us']:.1f} "
            f"| {score['max_us']:.1f} |",
            f"| explain_score | {args.calls // 4:,} | {explain['mean_us']:.1f} | {explain['p99_us']:.1f} "
            f"| {explain['max_us']:.1f} |",
            "",
            f"Target: single-lead scoring well under 1 ms (1000 µs): {'met' if score['p99_us'] < 1000 else 'NOT met'}.",
            "",
        ]
    )
    print(text)
    if args.result:
        args.result.parent.mkdir(parents=True, exist_ok=True)
        args.result.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
