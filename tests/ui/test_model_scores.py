"""ui.model_scores outside a page: joining the model's win chance onto any deal table, and no model at all."""

from __future__ import annotations

import polars as pl
import pytest
import streamlit as st

from analytics.model_store import SCORES
from core.settings import get_settings
from ui.model_scores import conversion_chances, with_win_chance


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    get_settings.cache_clear()
    st.cache_data.clear()
    yield tmp_path
    get_settings.cache_clear()
    st.cache_data.clear()


DEALS = pl.DataFrame({"opportunity_id": ["a", "b", "c"], "amount": [1.0, 2.0, 3.0]})


def test_deal_tables_are_unchanged_without_a_model(models):
    assert with_win_chance(DEALS).equals(DEALS)
    assert conversion_chances(["x"]) is None


def test_each_scored_deal_gets_its_win_chance_and_reasons_in_its_own_order(models):
    pl.DataFrame(
        {"opportunity_id": ["c", "a"], "win_probability": [0.3, 0.7], "reasons": ["late", "big"],
         "probability_source": ["stage fallback"] * 2}
    ).write_parquet(models / SCORES["win"])  # fmt: skip
    shown = with_win_chance(DEALS)
    assert shown["opportunity_id"].to_list() == ["a", "b", "c"]
    assert shown["win_probability"].to_list() == [0.7, None, 0.3]
    assert shown["model_reasons"].to_list() == ["big", None, "late"]
