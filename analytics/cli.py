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
    fc.add_argument("--raw-bands", action="store_true", help="the simulated P10–P90, not calibrated on the backtest")
    bt = sub.add_parser("backtest", help="recompute past forecasts and compare them with what was won")
    bt.add_argument(
        "--origins",
        "--points",
        dest="origins",
        type=int,
        default=20,
        help="how many past origins (default 20): month-ends, or weekly days when there are too few month-ends",
    )
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
    from analytics.model_store import load_calibration

    calibration = None if args.raw_bands else load_calibration()
    result = forecast(as_of=args.as_of, months=args.months, simulations=args.simulations, calibration=calibration)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return EXIT_OK
    bands = "bands calibrated on the backtest" if result.calibrated else "simulated bands (no backtest yet)"
    print(f"Forecast as of {result.as_of} to {result.horizon_end} ({result.probability_source}; {bands}):")
    print(f"  P10 {result.totals['p10']:,.0f}  P50 {result.totals['p50']:,.0f}  P90 {result.totals['p90']:,.0f}")
    for row in result.by_month.iter_rows(named=True):
        print(f"  {row['month']:%Y-%m}  P10 {row['p10']:,.0f}  P50 {row['p50']:,.0f}  P90 {row['p90']:,.0f}")
    return EXIT_OK


def _backtest(args: argparse.Namespace) -> int:
    from analytics.backtest import backtest
    from analytics.model_store import save_backtest

    if args.origins < 1:
        raise ValueError("--origins must be at least 1")
    report = backtest(origins=args.origins, months=args.months)
    save_backtest(report.points, report.summary, calibration=report.calibration, verdict=report.verdict)
    if args.json:
        payload = {
            "verdict": report.verdict,
            "points": report.points.to_dicts(),
            "summary": report.summary.to_dicts(),
            "calibration": report.calibration.to_json(),
        }
        print(json.dumps(payload, indent=2, default=str))
        return EXIT_OK
    points = report.points
    if points.height == 0:
        print(report.verdict)
        return EXIT_OK
    print(
        f"Backtest: {points.height} origins {points['as_of'].min()!s} … {points['as_of'].max()!s}, "
        f"{args.months}-month horizons (each forecast made with only what was known on its day)."
    )
    print(f"{'method':<26}{'WAPE':>8}{'bias':>8}   WAPE − forecast's (90 % interval)")
    for row in report.summary.iter_rows(named=True):
        diff = ""
        if row["wape_minus_forecast"] is not None:
            diff = (
                f"{row['wape_minus_forecast'] * 100:+.1f} points "
                f"({row['difference_low'] * 100:+.1f} to {row['difference_high'] * 100:+.1f})"
            )
        print(f"{row['label']:<26}{row['wape']:>8.1%}{row['bias']:>+8.1%}   {diff}")
    f = report.summary.filter(report.summary["method"] == "forecast").row(0, named=True)
    print("P10–P90 coverage (nominal 80 %), calibrated out of sample [simulated band]:")
    for level, count in (("total", points.height), ("months", f["count_months"]), ("owners", f["count_owner_periods"])):
        cal, raw = f.get(f"coverage_{level}"), f.get(f"raw_coverage_{level}")
        if cal is not None:
            print(f"  {level:<8}{cal:>6.0%}  [{raw:.0%}]  over {count} {'origins' if level == 'total' else 'cells'}")
    print(report.verdict)
    return EXIT_OK
