"""A model card in words and tables for "About these numbers" (never a Python dict on screen)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from ui.format import MISSING, moment

SPLITS = {"train": "Training", "calibrate": "Calibration", "test": "Test (later data)"}


def card_moment(value: Any) -> str:
    """A card's ISO timestamp (``2026-11-09 15:35:11+00:00``) as ``2026-11-09 15:35 UTC``; a date stays a date."""
    if not value:
        return MISSING
    text = str(value)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if len(text) <= 10:
        return parsed.date().isoformat()
    return moment(parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC))


def window_text(card: dict[str, Any]) -> str:
    """The training window in words: "2024-02-02 10:46 UTC to 2026-11-09 15:35 UTC"."""
    window = card.get("training_window") or {}
    return f"{card_moment(window.get('from'))} to {card_moment(window.get('to'))}"


def samples_frame(card: dict[str, Any]) -> pl.DataFrame:
    """One row per split (training, calibration, test) with its counts as columns ("Deals", "Won deals" …)."""
    samples = card.get("samples") or {}
    rows = []
    for split, counts in samples.items():
        row: dict[str, Any] = {"split": SPLITS.get(split, split.replace("_", " ").capitalize())}
        if isinstance(counts, dict):
            row.update({f"count_{k}": v for k, v in counts.items()})
        else:
            row["count_rows"] = counts
        rows.append(row)
    return pl.DataFrame(rows) if rows else pl.DataFrame({"split": []}, schema={"split": pl.String})
