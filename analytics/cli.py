"""``python -m analytics`` — train, forecast, backtest.

Exit codes: 0 ok, 2 no warehouse or bad input, 3 ``train`` refused to publish a model (suspected leakage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence

from core.errors import ConfigError
from core.warehouse import WarehouseMissing

EXIT_OK, EXIT_INPUT, EXIT_REFUSED = 0, 2, 3


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface of the models and forecasts."""
    parser = argparse.ArgumentParser(prog="python -m analytics", description="Win/lead models, forecast, backtest.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("train", help="train the win and lead models; save models, model cards and scores in MODEL_DIR")
    fc = sub.add_parser("forecast", help="won value expected in the next months (P10/P50/P90)")
    fc.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: last data day)")
    fc.add_argument("--months", type=int, default=3, help="calendar months after the as-of day (default 3)")
    fc.add_argument("--simulations", type=int, default=500, help="Monte Carlo runs (default 500)")
    fc.add_argument("--json", action="store_true", help="print JSON instead of a table")
    bt = sub.add_parser("backtest", help="recompute past forecasts and compare them with what was won")
    bt.add_argument("--points", type=int, default=6, help="how many past month-ends (default 6)")
    bt.add_argument("--months", type=int, default=3, help="horizon in months (default 3)")
    bt.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            return _train()
        if args.command == "forecast":
            return _forecast(args)
        if args.command == "backtest":
            return _backtest(args)
    except (WarehouseMissing, ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    raise AssertionError(args.command)  # pragma: no cover


def _train() -> int:
    from analytics.model_store import model_dir
    from analytics.training import train_models

    cards = train_models()
    refused = [name for name, card in cards.items() if card.get("published") is False]
    for name in refused:
        print(f"{name}: REFUSED — {cards[name]['leakage']['message']}", file=sys.stderr)
    for name, card in cards.items():
        if name in refused:
            continue
        test = card.get("test") or {}
        kind = f"fallback ({card.get('fallback_reason')})" if card.get("is_fallback") else "model"
        auc, brier = test.get("auc"), test.get("brier")
        print(
            f"{name}: {kind}; test AUC {auc if auc is None else round(auc, 3)}, "
            f"Brier {brier if brier is None else round(brier, 4)}; {card['count_scored']:,} scored; "
            f"{card['training_seconds']} s"
        )
    print(f"saved in {model_dir()}")
    return EXIT_REFUSED if refused else EXIT_OK


def _forecast(args: argparse.Namespace) -> int:
    from analytics.forecast import forecast

    result = forecast(as_of=args.as_of, months=args.months, simulations=args.simulations)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return EXIT_OK
    print(f"Forecast as of {result.as_of} to {result.horizon_end} ({result.probability_source}):")
    print(f"  P10 {result.totals['p10']:,.0f}  P50 {result.totals['p50']:,.0f}  P90 {result.totals['p90']:,.0f}")
    for row in result.by_month.iter_rows(named=True):
        print(f"  {row['month']:%Y-%m}  P10 {row['p10']:,.0f}  P50 {row['p50']:,.0f}  P90 {row['p90']:,.0f}")
    return EXIT_OK


def _backtest(args: argparse.Namespace) -> int:
    from analytics.backtest import run_backtest
    from analytics.model_store import save_backtest

    points, summary = run_backtest(points=args.points, months=args.months)
    save_backtest(points, summary)
    if args.json:
        print(json.dumps({"points": points.to_dicts(), "summary": summary.to_dicts()}, indent=2, default=str))
        return EXIT_OK
    for row in summary.iter_rows(named=True):
        cover = f", P10–P90 coverage {row['coverage_total']:.0%}" if row.get("coverage_total") is not None else ""
        print(
            f"{row['method']}: WAPE {row['wape']:.1%}, bias {row['bias']:+.1%} over {row['count_dates']} dates{cover}"
        )
    return EXIT_OK
