"""``python -m crm`` — migrate, create-user, seed-demo, import."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from core.errors import ConfigError
from crm.errors import DomainError
from crm.importing.fields import ENTITIES
from models.domain import ROLES


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface, one sub-command per use case."""
    parser = argparse.ArgumentParser(prog="python -m crm", description="Sales system: system-of-record commands.")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="create or upgrade the schema (alembic upgrade head)")

    user = sub.add_parser("create-user", help="create a user who can sign in")
    user.add_argument("--email", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--role", required=True, choices=ROLES)
    user.add_argument("--name")
    user.add_argument("--manager", metavar="EMAIL", help="the manager this user reports to")
    user.add_argument("--territory", metavar="NAME", help="territory (created when missing)")

    seed = sub.add_parser("seed-demo", help="load realistic, deterministic demo data")
    seed.add_argument("--leads", type=int, required=True, metavar="N", help="number of leads (e.g. 1000000)")
    seed.add_argument("--seed", type=int, default=42, metavar="S", help="random seed (default 42)")
    seed.add_argument(
        "--truth",
        type=Path,
        metavar="FILE.parquet",
        help="also write the true win/convert probabilities the generator used",
    )
    seed.add_argument("--if-empty", action="store_true", help="do nothing when the database already has leads")

    imp = sub.add_parser("import", help="import leads, opportunities or accounts from a CSV file")
    imp.add_argument("entity", choices=ENTITIES)
    imp.add_argument("file", type=Path, metavar="FILE.csv")
    imp.add_argument("--mapping", type=Path, metavar="MAPPING.json")
    imp.add_argument("--dry-run", action="store_true", help="validate and report, change nothing")
    imp.add_argument("--skip-bad-rows", action="store_true", help="import good rows, report bad ones")
    imp.add_argument("--errors", type=Path, metavar="REPORT.csv", help="write the per-row error report here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors end in one clear sentence and exit code 2."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except (ConfigError, DomainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "migrate":
        from crm.migrate import migrate

        migrate()
        print("schema is up to date")
        return 0
    if args.command == "create-user":
        from core.db import transaction
        from crm.actors import SYSTEM_ACTOR
        from crm.users import NewUser, create_user

        with transaction() as session:
            user = create_user(
                session=session,
                data=NewUser(
                    email=args.email,
                    password=args.password,
                    role=args.role,
                    name=args.name,
                    manager_email=args.manager,
                    territory_name=args.territory,
                ),
                actor=SYSTEM_ACTOR,
            )
            print(f"created {user.role} {user.email} ({user.id})")
        return 0
    if args.command == "seed-demo":
        from demo.seed import seed_demo_command

        return seed_demo_command(leads=args.leads, seed=args.seed, truth_path=args.truth, if_empty=args.if_empty)
    if args.command == "import":
        from crm.importing import import_command

        return import_command(
            entity=args.entity,
            path=args.file,
            mapping_path=args.mapping,
            dry_run=args.dry_run,
            skip_bad_rows=args.skip_bad_rows,
            errors_path=args.errors,
        )
    raise AssertionError(args.command)  # pragma: no cover
