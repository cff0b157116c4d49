"""Benchmark: train both models and forecast every owner/team/territory on the seeded demo in DATABASE_URL.

Usage (own database and folders):
    createdb bench_forecast && DATABASE_URL=... WAREHOUSE_PATH=/tmp/x/wh.duckdb MODEL_DIR=/tmp/x/models \\
    python -m crm seed-demo --leads 1000000 && python -m etl refresh --full && python benchmarks/forecast.py
Targets: training ≤ 120 s; a forecast for every owner ≤ 2 s. Prints one line per figure.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.forecast import forecast
from analytics.model_store import load_model
from analytics.training import train_models


def main() -> None:
    """Time training, then three forecasts (3 months, every owner, team and territory) with the saved model."""
    started, cpu = time.perf_counter(), time.process_time()
    cards = train_models()
    train_seconds = time.perf_counter() - started
    print(
        f"train (win + lead, incl. scoring and saving): {train_seconds:.1f} s wall, "
        f"{time.process_time() - cpu:.1f} s CPU"
    )
    for name, card in cards.items():
        print(
            f"  {name}: {card['training_seconds']} s, fallback={card.get('is_fallback')}, "
            f"scored {card['count_scored']:,}"
        )
    model = load_model("win")
    times, cpus = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        result = forecast(months=3, model=model)
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    owners = result.by_group.filter(result.by_group["dimension"] == "owner").height
    print(
        f"forecast, {result.deals.height:,} open deals, {owners} owners: "
        f"best {min(times):.2f} s, worst {max(times):.2f} s wall; best {min(cpus):.2f} s CPU"
    )
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
