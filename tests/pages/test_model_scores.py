"""Model scores on pages: win chance and model-weighted pipeline on Pipeline, conversion chance on Leads."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from analytics.model_store import SCORES
from core.db import transaction
from core.settings import get_settings
from crm.leads import create_lead
from tests.pages.dashboard_support import Q1, open_page, texts, tiny_warehouse


def write_win_scores(folder: Path) -> None:
    """Scores as ``python -m analytics train`` saves them: o4 and o6 scored, o5 (opened later) not."""
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "opportunity_id": ["o4", "o6"],
            "stage": ["proposal", "negotiation"],
            "win_probability": [0.9, 0.2],
            "reasons": ["Amount 2,000 raises it", "Stage age 200 days lowers it"],
            "probability_source": ["calibrated model", "calibrated model"],
        }
    ).write_parquet(folder / SCORES["win"])


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    return tiny_warehouse(tmp_path, monkeypatch)


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_pipeline_shows_the_model_weighted_pipeline_beside_the_stage_weighted_one(warehouse, tmp_path):
    write_win_scores(tmp_path / "models")
    at = open_page("pipeline", params=Q1)
    assert not at.exception
    # o4 2,000 × 0.9 + o6 5,000 × 0.2 + o5 (unscored) 0 × its stage probability
    assert _metrics(at) == {
        "Open pipeline": "$7,000",
        "Weighted pipeline": "$5,000",
        "Model-weighted pipeline": "$2,800",
        "Open deals": "3",
    }
    assert "calibrated model (2 of 3 deals scored at training; 1 newer deal at its stage probability)" in texts(at)
    assert "[About these numbers](/about-numbers)" in texts(at)


def test_stale_deals_carry_the_model_win_chance_and_its_reasons(warehouse, tmp_path):
    write_win_scores(tmp_path / "models")
    at = open_page("pipeline", params={**Q1, "view": "Stale deals"})
    assert not at.exception
    stale = next(df.value for df in at.dataframe if "opportunity_id" in df.value.columns)
    chances = dict(zip(stale["opportunity_id"], stale["win_probability"], strict=True))
    assert chances["o4"] == "90.0%"  # shown as a percentage; o5, never scored, reads "—" (not None)
    assert chances["o5"] == "—"
    assert "model_reasons" in stale.columns


def test_without_a_model_the_pipeline_page_is_unchanged(warehouse):
    at = open_page("pipeline", params={**Q1, "view": "Stale deals"})
    assert not at.exception
    stale = next(df.value for df in at.dataframe if "opportunity_id" in df.value.columns)
    assert "win_probability" not in stale.columns
    now = open_page("pipeline", params=Q1)
    assert list(_metrics(now)) == ["Open pipeline", "Weighted pipeline", "Open deals"]


@pytest.fixture
def model_folder(tmp_path, monkeypatch):
    """An empty MODEL_DIR of the test's own."""
    folder = tmp_path / "models"
    monkeypatch.setenv("MODEL_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def _lead(engine, actor, **fields):
    data = {"first_name": "John", "last_name": "Doe", "email": "john.doe@example.com", "company": "Acme", **fields}
    with transaction(engine) as session:
        return create_lead(session=session, data=data, actor=actor)


def _cells(at) -> list[str]:
    return [t.value for t in at.text]


def test_the_lead_list_and_detail_show_the_conversion_chance(clean_db, people, app_as, model_folder):
    scored = _lead(clean_db, people["leo"])
    _lead(clean_db, people["leo"], first_name="Jane", last_name="Roe", email="jane.roe@example.com")
    model_folder.mkdir()
    pl.DataFrame(
        {
            "lead_id": [str(scored.id)],
            "conversion_probability": [0.42],
            "reasons": ["source referral raises it; no activity yet lowers it"],
            "probability_source": ["calibrated model"],
        }
    ).write_parquet(model_folder / SCORES["lead"])

    at = app_as(people["leo"], "pages/leads.py")
    assert not at.exception
    assert "**Chance**" in [m.value for m in at.markdown]  # the conversion chance (header help says so)
    assert "42%" in _cells(at) and "—" in _cells(at)  # Jane Roe was not scored

    at.query_params["id"] = str(scored.id)
    at.run()
    assert not at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert "Predicted conversion: 42%" in shown
    assert "Source referral raises it" in shown


def test_without_a_lead_model_the_lead_list_and_detail_are_unchanged(clean_db, people, app_as, model_folder):
    lead = _lead(clean_db, people["leo"])
    at = app_as(people["leo"], "pages/leads.py")
    assert not at.exception
    assert "**Chance**" not in [m.value for m in at.markdown]
    at.query_params["id"] = str(lead.id)
    at.run()
    assert not at.exception
    assert "Predicted conversion" not in "\n".join(m.value for m in at.markdown)


def test_a_lead_edited_after_training_shows_reasons_from_its_current_values(clean_db, people, app_as, model_folder):
    from analytics.lead_model import LeadModel
    from analytics.model_store import save_model
    from crm.leads import update_lead

    lead = _lead(clean_db, people["leo"], source="web")
    model = LeadModel(source_rates={"web": 0.1, "referral": 0.35}, overall_rate=0.12, is_fallback=True)
    scores = pl.DataFrame(
        {
            "lead_id": [str(lead.id)],
            "conversion_probability": [0.1],
            "reasons": ["Source web: 10% of such leads converted"],
            "probability_source": ["source fallback"],
        }
    )
    save_model("lead", model, {"name": "lead"}, scores, folder=model_folder)
    at = app_as(people["leo"], "pages/leads.py", id=str(lead.id))
    assert "Source web: 10% of such leads converted" in "\n".join(m.value for m in at.markdown).replace("\\", "")

    with transaction(clean_db) as session:  # edited after the model scored it
        update_lead(
            session=session, lead_id=lead.id, data={"source": "referral"}, expected_version=1, actor=people["leo"]
        )
    at.run()
    shown = "\n".join(m.value for m in at.markdown).replace("\\", "")  # without markdown escapes
    assert "Predicted conversion: 35%" in shown
    assert "Source referral: 35% of such leads converted" in shown and "Source web" not in shown
    assert any("Recomputed from the lead as it is now" in c.value for c in at.caption)
