"""Train both models, score the open deals and leads, and save everything under MODEL_DIR."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from analytics.lead_model import score_open_leads, train_lead_model
from analytics.model_store import save_model, save_refused
from analytics.query import Source
from analytics.win_model import score_open_deals, train_win_model


def train_models(*, con: Source = None, folder: Path | None = None, seed: int = 0) -> dict[str, Any]:
    """Train the win and lead models on the whole warehouse and save models, cards and scores; return the cards.

    A model the leakage guard suspects (analytics.leakage) is not published: its card says why
    (``published`` false, ``leakage.message``) and any earlier model of that name is removed.
    """
    cards = {}
    jobs: tuple[tuple[str, Any, Any], ...] = (
        ("win", train_win_model, score_open_deals),
        ("lead", train_lead_model, score_open_leads),
    )
    for name, train, score in jobs:
        started = time.perf_counter()
        model = train(con=con, seed=seed)
        if (model.card.get("leakage") or {}).get("is_suspect"):
            model.card.update(published=False, training_seconds=round(time.perf_counter() - started, 2))
            model.card["count_scored"] = 0
            save_refused(name, model.card, folder=folder)
            cards[name] = model.card
            continue
        scores = score(model, con=con)
        model.card["training_seconds"] = round(time.perf_counter() - started, 2)
        model.card["count_scored"] = scores.height
        model.card["published"] = True
        save_model(name, model, model.card, scores, folder=folder)
        cards[name] = model.card
    return cards
