"""Open-loop load test of the REST API with the specification's mix (issue 7).

Mix: 30 % lead creation (POST /api/v1/leads), 50 % pipeline summary for a random owner
(GET /api/v1/opportunities/pipeline?owner_id=...), 20 % lead search by status with limit 50
(GET /api/v1/leads?status=...&limit=50). Requests are sent on a fixed schedule (open loop: a slow
answer does not slow the arrivals down, so queueing shows up in the latencies instead of being hidden).
Goal: at 100 requests/s for 2 minutes, p95 <= 200 ms in every scenario and 0 errors.

``--profile spec`` runs the specification's own load profile instead of fixed rates: 10 requests/s for
60 s, then 50/s for 300 s, then 100/s for 120 s, back to back with the same mix, and reports
p50/p95/p99 per phase and scenario; ``--beyond 125,150,200`` then keeps stepping the rate (``--step``
seconds each) until one fails, so the run also names the highest rate that holds.

Usage (against your own database and warehouse, e.g. after ``python -m crm seed-demo --leads 1000000``
and ``python -m etl refresh --full``)::

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_api WAREHOUSE_PATH=/tmp/api_bench/warehouse.duckdb \\
      .venv/bin/python benchmarks/api_load.py --start-server --rates 100 --duration 120
    # step the rate up until the goal no longer holds:
    ... benchmarks/api_load.py --start-server --rates 100,125,150,200 --duration 120 --stop-on-failure
    # the specification's profile (8 minutes), then the highest rate that holds:
    ... benchmarks/api_load.py --start-server --profile spec --beyond 125,150,175,200 --step 60

``--start-server`` runs ``uvicorn api.main:app --workers 2`` on 127.0.0.1 (traffic never leaves the
machine). Tokens are minted with the configured SECRET_KEY for existing users (an admin for the
pipeline and search scenarios, random reps for creation), so no password is needed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from api.credentials import issue_token  # noqa: E402
from core.db import get_engine  # noqa: E402

STATUSES = ("new", "contacted", "qualified", "unqualified", "converted")
SCENARIOS = ("create_lead", "pipeline_summary", "search_by_status")
WEIGHTS = (30, 50, 20)
P95_GOAL_MS = 200.0
REQUEST_TIMEOUT_S = 10.0  # a request slower than this counts as an error
# The specification's load profile: (requests per second, seconds), run back to back.
SPEC_PROFILE = ((10.0, 60.0), (50.0, 300.0), (100.0, 120.0))


@dataclass
class Stats:
    """Latencies (ms) and failures of one scenario."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def percentile(self, q: float) -> float | None:
        """The q-th percentile (nearest rank) of the latencies."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
        return ordered[rank]


@dataclass
class Fixture:
    """Who sends what: tokens and the owners whose pipeline is asked for."""

    admin_headers: dict[str, str]
    search_headers: dict[str, str]
    rep_headers: list[dict[str, str]]
    owner_ids: list[str]


def load_fixture(search_as: str) -> Fixture:
    """Tokens for an active admin and the reps, and every owner of an opportunity."""
    with get_engine().connect() as conn:
        admin = conn.execute(text("SELECT id FROM users WHERE role = 'admin' AND is_active LIMIT 1")).scalar()
        reps = [r[0] for r in conn.execute(text("SELECT id FROM users WHERE role = 'rep' AND is_active ORDER BY id"))]
        owners = [
            str(r[0])
            for r in conn.execute(text("SELECT DISTINCT owner_id FROM opportunities WHERE owner_id IS NOT NULL"))
        ]
    if admin is None or not reps:
        raise SystemExit("the database needs an admin and reps: run `python -m crm seed-demo --leads N` first")

    def headers(user_id: uuid.UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(user_id=user_id, minutes=240).access_token}"}

    rep_headers = [headers(r) for r in reps]
    admin_headers = headers(admin)
    search_headers = admin_headers if search_as == "admin" else rep_headers[0]
    return Fixture(admin_headers, search_headers, rep_headers, owners or [str(reps[0])])


async def one_request(client: httpx.AsyncClient, scenario: str, fx: Fixture, rng: random.Random, stats: Stats) -> None:
    """Send one request of ``scenario`` and record its latency or failure."""
    if scenario == "create_lead":
        tag = uuid.uuid4().hex[:12]
        body = {
            "first_name": "Load",
            "last_name": f"Test {tag}",
            "email": f"load.{tag}@loadtest.example.com",
            "company": f"Load Co {rng.randint(1, 5000)}",
            "industry": rng.choice(["Technology", "Finance", "Retail", "Healthcare"]),
            "employee_count": rng.randint(5, 5000),
            "engagement_score": rng.randint(0, 100),
            "source": rng.choice(["web", "event", "webinar", "referral"]),
        }
        request = client.post("/api/v1/leads", json=body, headers=rng.choice(fx.rep_headers))
        expected = 201
    elif scenario == "pipeline_summary":
        owner = rng.choice(fx.owner_ids)
        request = client.get(f"/api/v1/opportunities/pipeline?owner_id={owner}", headers=fx.admin_headers)
        expected = 200
    else:
        status = rng.choice(STATUSES)
        request = client.get(f"/api/v1/leads?status={status}&limit=50", headers=fx.search_headers)
        expected = 200
    start = time.perf_counter()
    try:
        response = await request
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != expected:
            stats.errors += 1
            if len(stats.error_samples) < 5:
                stats.error_samples.append(f"{response.status_code}: {response.text[:200]}")
        else:
            stats.latencies.append(elapsed)
    except httpx.HTTPError as exc:
        stats.errors += 1
        if len(stats.error_samples) < 5:
            stats.error_samples.append(f"{type(exc).__name__}: {exc}")


async def run_rate(
    base_url: str,
    fx: Fixture,
    rate: float,
    duration: float,
    seed: int,
    *,
    only: str | None = None,
    server_pid: int | None = None,
    database: str | None = None,
) -> dict[str, object]:
    """Send ``rate`` requests per second for ``duration`` seconds on a fixed schedule; return the figures."""
    rng = random.Random(seed)
    stats = {name: Stats() for name in SCENARIOS}
    total = int(rate * duration)
    plan = [only] * total if only else rng.choices(SCENARIOS, weights=WEIGHTS, k=total)
    cpu_before = cpu_seconds(server_pid, database)
    client_cpu_before = time.process_time()
    # Idle connections are dropped by the client (2 s) before uvicorn's keep-alive timeout (30 s) closes
    # them, so a request never races a server-side close (which shows up as a ReadError).
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=200, keepalive_expiry=2.0)
    max_lag = 0.0
    load_before = os.getloadavg()
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        tasks: list[asyncio.Task[None]] = []
        started = time.perf_counter()
        for i, scenario in enumerate(plan):
            due = started + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                max_lag = max(max_lag, -delay)
            tasks.append(asyncio.create_task(one_request(client, scenario, fx, rng, stats[scenario])))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - started
    load_after = os.getloadavg()
    cpu_after = cpu_seconds(server_pid, database)
    client_cpu = time.process_time() - client_cpu_before
    result: dict[str, object] = {
        "rate": rate,
        "duration_s": duration,
        "sent": total,
        "achieved_rate": round(total / wall, 1),
        "max_schedule_lag_ms": round(max_lag * 1000, 1),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
        "cpu_ms_per_request": {
            "api": round((cpu_after[0] - cpu_before[0]) * 1000 / total, 2),
            "postgres": round((cpu_after[1] - cpu_before[1]) * 1000 / total, 2),
            "load_generator": round(client_cpu * 1000 / total, 2),
        },
        "scenarios": {},
    }
    ok = True
    for name, s in stats.items():
        if only and name != only:
            continue
        p95 = s.percentile(95)
        ok = ok and s.errors == 0 and p95 is not None and p95 <= P95_GOAL_MS
        result["scenarios"][name] = {  # type: ignore[index]
            "requests": len(s.latencies) + s.errors,
            "errors": s.errors,
            "p50_ms": _round(s.percentile(50)),
            "p95_ms": _round(p95),
            "p99_ms": _round(s.percentile(99)),
            "max_ms": _round(max(s.latencies) if s.latencies else None),
            "error_samples": s.error_samples,
        }
    result["holds"] = ok
    return result


async def cost_per_route(
    base_url: str, fx: Fixture, n: int, seed: int, *, server_pid: int | None, database: str | None
) -> dict[str, object]:
    """CPU per request of each scenario alone: ``n`` requests one after another (after 20 to warm up).

    One request at a time, so no queue forms and the figure moves little with the machine's load
    (unlike latencies); the server's and PostgreSQL's CPU are read from /proc before and after.
    """
    rng = random.Random(seed)
    figures: dict[str, object] = {"requests_per_route": n, "loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
        for scenario in SCENARIOS:
            for _ in range(20):
                await one_request(client, scenario, fx, rng, Stats())
            stats = Stats()
            before = cpu_seconds(server_pid, database)
            for _ in range(n):
                await one_request(client, scenario, fx, rng, stats)
            after = cpu_seconds(server_pid, database)
            figures[scenario] = {
                "api_cpu_ms": round((after[0] - before[0]) * 1000 / n, 2),
                "postgres_cpu_ms": round((after[1] - before[1]) * 1000 / n, 2),
                "p50_ms": _round(stats.percentile(50)),
                "errors": stats.errors,
            }
    figures["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def cpu_seconds(server_pid: int | None, database: str | None) -> tuple[float, float]:
    """CPU seconds used so far by the API server's process tree and by PostgreSQL backends of ``database``."""
    app = 0.0
    if server_pid is not None:
        try:
            root = psutil.Process(server_pid)
            for proc in [root, *root.children(recursive=True)]:
                times = proc.cpu_times()
                app += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    db = 0.0
    if database:
        for proc in psutil.process_iter(["cmdline"]):
            cmd = " ".join(proc.info.get("cmdline") or [])
            if cmd.startswith("postgres:") and f" {database} " in cmd:
                try:
                    times = proc.cpu_times()
                    db += times.user + times.system
                except psutil.NoSuchProcess:
                    pass
    return app, db


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    """Run uvicorn with the API on 127.0.0.1:port and wait until /health answers."""
    log_dir = Path(os.environ.get("DATA_DIR", ".data"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / "api_load_server.log", "ab")  # noqa: SIM115
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--timeout-keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("the API did not become healthy within 60 s (see api_load_server.log)")


def main() -> int:
    """Run the load at each rate and print one JSON line per rate (and a summary table)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="100", help="comma-separated request rates (per second)")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds per rate (default 120)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of warm-up at the first rate")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--start-server", action="store_true", help="start uvicorn api.main:app on 127.0.0.1")
    parser.add_argument("--search-as", choices=("admin", "rep"), default="admin", help="who searches leads")
    parser.add_argument("--stop-on-failure", action="store_true", help="stop after the first rate that fails")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=SCENARIOS, help="send only this scenario (to cost it alone)")
    parser.add_argument("--out", type=Path, help="append each result as a JSON line to this file")
    parser.add_argument(
        "--profile", choices=("spec",), help="run the specification's phases (10/s 60 s, 50/s 300 s, 100/s 120 s)"
    )
    parser.add_argument("--beyond", default="", help="with --profile: then step through these rates until one fails")
    parser.add_argument("--step", type=float, default=60.0, help="seconds per --beyond rate (default 60)")
    parser.add_argument(
        "--cost",
        type=int,
        metavar="N",
        help="CPU ms per request by route: N requests each, one at a time",
    )
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, _interrupt)  # so `timeout` or kill still stops the server we started
    fx = load_fixture(args.search_as)
    server = start_server(args.port, args.workers) if args.start_server else None
    base_url = f"http://127.0.0.1:{args.port}"
    database = get_engine().url.database
    server_pid = server.pid if server is not None else None
    try:
        if args.cost:
            figures = asyncio.run(
                cost_per_route(base_url, fx, args.cost, args.seed, server_pid=server_pid, database=database)
            )
            print(json.dumps(figures), flush=True)
            if args.out:
                with args.out.open("a") as fh:
                    fh.write(json.dumps(figures) + "\n")
            return 0
        if args.profile == "spec":
            steps = [(rate, seconds, "spec") for rate, seconds in SPEC_PROFILE]
            steps += [(float(r), args.step, "beyond") for r in args.beyond.split(",") if r.strip()]
        else:
            steps = [(float(r), args.duration, "rates") for r in args.rates.split(",")]
        if args.warmup > 0:
            asyncio.run(run_rate(base_url, fx, steps[0][0], args.warmup, args.seed + 1000, only=args.only))
        held: list[float] = []
        for i, (rate, seconds, kind) in enumerate(steps):
            result = asyncio.run(
                run_rate(
                    base_url,
                    fx,
                    rate,
                    seconds,
                    args.seed + i,
                    only=args.only,
                    server_pid=server_pid,
                    database=database,
                )
            )
            result["search_as"] = args.search_as
            result["phase"] = f"{kind} {i + 1}" if kind != "rates" else None
            if result["holds"]:
                held.append(rate)
            line = json.dumps(result)
            print(line, flush=True)
            if args.out:
                with args.out.open("a") as fh:
                    fh.write(line + "\n")
            print(_table(result), file=sys.stderr, flush=True)
            if (args.stop_on_failure or kind == "beyond") and not result["holds"]:
                break
        print(f"highest rate that held: {max(held) if held else 'none'} requests/s", file=sys.stderr, flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    return 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _table(result: dict[str, object]) -> str:
    lines = [
        f"{result.get('phase') or ''} rate {result['rate']}/s for {result['duration_s']} s "
        f"(achieved {result['achieved_rate']}/s, load before {result['loadavg_before']}, "
        f"load {result['loadavg_after']}, CPU ms/request {result['cpu_ms_per_request']}): "
        f"{'HOLDS' if result['holds'] else 'FAILS'}",
        "| scenario | requests | errors | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in result["scenarios"].items():  # type: ignore[union-attr]
        cells = [name, s["requests"], s["errors"], s["p50_ms"], s["p95_ms"], s["p99_ms"], s["max_ms"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
