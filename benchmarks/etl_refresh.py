"""ETL refresh speed on the 1M-lead demo, side by side with psql sending the same tables as binary COPY.

Usage (your own database; it is filled when empty):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_etl WAREHOUSE_PATH=/tmp/etl/warehouse.duckdb \
    DATA_DIR=/tmp/etl/data .venv/bin/python benchmarks/etl_refresh.py [--leads 1000000] [--repeat 2] \
        [--seed-demo] [--markdown benchmarks/results/etl_refresh.md]

Measured in one run, alternating, ``--repeat`` times each (best and median reported):
- floor: ``psql`` running ``\\copy (SELECT <the ETL's columns> FROM t) TO '/dev/null' (FORMAT binary)`` for every
  replicated table in one session;
- full: ``python -m etl refresh --full`` end to end (process start, extract, load, marts, checks, publish);
- incremental: ``python -m etl refresh`` after updating 1% of leads and of opportunities;
- incremental with nothing changed: ``python -m etl refresh`` right after another one (wall time and the time
  the command reports for itself).
Peak memory is the largest resident set of a refresh process, CPU its user + system time, bytes written its
``ru_oublock`` (all from ``getrusage`` of the child). ``/proc/loadavg`` is recorded beside each figure.
An empty database is filled with ``benchmarks/etl_data.sql`` (SQL ``generate_series``: leads, a quarter of them
with opportunities, four history rows each) or, with ``--seed-demo``, with ``python -m crm seed-demo``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db import database_url, libpq_url  # noqa: E402
from etl.specs import TABLES  # noqa: E402


def fill_if_empty(url: str, leads: int, seed_demo: bool) -> int:
    """Fill the database with ``leads`` leads when it has none; return the lead count."""
    with psycopg.connect(url, autocommit=True) as conn:
        count = conn.execute("SELECT count(*) FROM leads").fetchone()[0]
    if count:
        return count
    if seed_demo:
        subprocess.run([sys.executable, "-m", "crm", "seed-demo", "--leads", str(leads)], cwd=ROOT, check=True)
    else:
        subprocess.run(
            [
                "psql",
                url,
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-v",
                f"leads={leads}",
                "-f",
                str(ROOT / "benchmarks/etl_data.sql"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM leads").fetchone()[0]


def psql_copy_floor(url: str) -> float:
    """Seconds for psql to send every replicated table (the ETL's columns) as binary COPY to /dev/null."""
    args = ["psql", url, "-q", "-X"]
    for spec in TABLES:
        cols = ", ".join(f'"{c.name}"' for c in spec.columns)
        args += ["-c", f"\\copy (SELECT {cols} FROM {spec.name}) TO '/dev/null' WITH (FORMAT binary)"]
    began = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def extract_only() -> None:
    """The ETL's own extraction queries read into Arrow and dropped (two connections, one snapshot): no DuckDB."""
    import threading

    from etl.extract import select_sql, snapshot_connections

    todo = sorted(TABLES, key=lambda s: s.name != "leads")
    with snapshot_connections(libpq_url(database_url()), 2) as (_, conns):

        def work(pg) -> None:
            while True:
                try:
                    spec = todo.pop(0)  # list.pop is atomic: each table goes to one thread
                except IndexError:
                    return
                with pg.stream(select_sql(spec, None)) as reader:
                    for _batch in reader:
                        pass

        threads = [threading.Thread(target=work, args=(pg,)) for pg in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def extract_floor() -> float:
    """Seconds for a process that runs only the ETL's extraction into Arrow (start-up included)."""
    began = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--extract-only"], cwd=ROOT, check=True)
    return time.perf_counter() - began


def run_refresh(full: bool) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and summary line (with MB written and the load) of one refresh process."""
    cmd = [sys.executable, "-m", "etl", "refresh"] + (["--full"] if full else [])
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, _, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - began
    out = proc.stdout.read().strip()
    err = proc.stderr.read()
    if full and os.environ.get("ETL_BENCH_LOG"):  # the run's own log: seconds and CPU per model
        Path(os.environ["ETL_BENCH_LOG"]).write_text(err)
    proc.returncode = 0
    if not out.startswith("refresh"):
        raise SystemExit(f"refresh failed:\n{err}")
    cpu = usage.ru_utime + usage.ru_stime
    out += f" | cpu {cpu:.2f} s | wrote {usage.ru_oublock * 512 / 1e6:.1f} MB | load {loadavg()}"
    return seconds, usage.ru_maxrss / 1024, out


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def reported(line: str) -> float:
    """The seconds ``etl refresh`` reports for itself in its summary line."""
    return float(line.split("; ")[1].removesuffix(" s"))


def change_one_percent(url: str) -> tuple[int, int]:
    """Update 1% of leads and 1% of opportunities (the triggers move updated_at)."""
    with psycopg.connect(url, autocommit=True) as conn:
        leads = conn.execute(
            "UPDATE leads SET engagement_score = (coalesce(engagement_score, 0) + 1) % 101 "
            "WHERE id IN (SELECT id FROM leads TABLESAMPLE SYSTEM (1))"
        ).rowcount
        opps = conn.execute(
            "UPDATE opportunities SET amount = amount + 1 "
            "WHERE id IN (SELECT id FROM opportunities TABLESAMPLE SYSTEM (1))"
        ).rowcount
    return leads, opps


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def versions(url: str) -> str:
    import adbc_driver_postgresql
    import duckdb
    import pyarrow

    with psycopg.connect(url) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    return (
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, pyarrow {pyarrow.__version__}, "
        f"adbc-driver-postgresql {adbc_driver_postgresql.__version__}, PostgreSQL {server}"
    )


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed-demo", action="store_true", help="fill with python -m crm seed-demo instead of SQL")
    parser.add_argument("--markdown", type=Path, help="write the results as markdown here")
    parser.add_argument("--extract-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.extract_only:
        extract_only()
        return

    url = libpq_url(database_url())
    leads = fill_if_empty(url, args.leads, args.seed_demo)
    with psycopg.connect(url, autocommit=True) as conn:
        rows = {s.name: conn.execute(f"SELECT count(*) FROM {s.name}").fetchone()[0] for s in TABLES}
    load_before = uptime()
    print(f"{leads} leads; {rows}\n{load_before}", flush=True)

    floors, extracts, fulls, incrementals, idles, idle_own, rss = [], [], [], [], [], [], []
    lines: list[str] = []

    def note(text: str) -> None:
        lines.append(text)
        print(text, flush=True)

    run_refresh(full=True)  # warm-up: caches, and a work file for the first incremental
    for i in range(args.repeat):
        floors.append(psql_copy_floor(url))
        note(f"[{i}] psql COPY {floors[-1]:.2f} s | load {loadavg()}")
        extracts.append(extract_floor())
        seconds, peak, line = run_refresh(full=True)
        fulls.append(seconds)
        rss.append(peak)
        note(f"[{i}] full {seconds:.2f} s, {peak:.0f} MiB | {line}")
        for _ in range(2):  # the first seeds the second data file by a copy; the next ones patch in place
            seconds, peak, line = run_refresh(full=False)
        idles.append(seconds)
        idle_own.append(reported(line))
        note(f"[{i}] nothing changed | incremental {seconds:.2f} s, {peak:.0f} MiB | {line}")
        changed = change_one_percent(url)
        seconds, peak, line = run_refresh(full=False)
        incrementals.append(seconds)
        rss.append(peak)
        note(f"[{i}] 1% changed {changed} | incremental {seconds:.2f} s, {peak:.0f} MiB | {line}")
    load_after = uptime()

    floor, full, inc = min(floors), min(fulls), min(incrementals)
    table = [
        ("psql binary COPY of the same tables and columns to /dev/null (floor)", floors, "1.00"),
        (
            "the ETL's extraction alone: same queries into Arrow, dropped (no DuckDB, no marts)",
            extracts,
            f"{min(extracts) / floor:.2f} × floor",
        ),
        (
            "full refresh end to end (`python -m etl refresh --full`)",
            fulls,
            f"{full / floor:.2f} × floor (target ≤ 2.5)",
        ),
        (
            "incremental after 1% of leads and opportunities changed",
            incrementals,
            f"{inc / full:.2f} × full (target ≤ 0.15)",
        ),
        (
            "incremental with nothing changed, wall (process start-up included)",
            idles,
            f"{min(idles) / full:.3f} × full",
        ),
        ("incremental with nothing changed, as `etl refresh` reports it", idle_own, "target ≤ 0.3 s"),
    ]
    rows_md = "\n".join(f"| {name} | {min(v):.2f} ({statistics.median(v):.2f}) | {ratio} |" for name, v, ratio in table)
    runs_md = "\n".join(f"    {line}" for line in lines)
    report = f"""# ETL refresh benchmark

- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC
- Machine: {machine()}
- Versions: {versions(url)}
- Data: {leads:,} leads; rows per table {rows}
- Load (`uptime`) before: `{load_before}`; after: `{load_after}`
- Command: `.venv/bin/python benchmarks/etl_refresh.py --repeat {args.repeat}`; each figure is a separate process,
  measured alternately in one run; best of {args.repeat} (median in brackets).

| measurement | seconds | ratio |
|---|---|---|
{rows_md}

Peak resident memory of a refresh process: {max(rss):.0f} MiB.

Every run (wall time, peak RSS, the command's own line, MB written, `/proc/loadavg`):

{runs_md}
"""
    print(report)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(report)


if __name__ == "__main__":
    main()
