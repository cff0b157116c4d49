"""The forecast limited to the owners a viewer may see: deals, groups and totals hold only their numbers."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analytics.dimensions import visible_owner_ids
from analytics.forecast import forecast, won_by_month
from core.settings import get_settings
from crm.actors import Actor


@pytest.fixture
def no_saved_model(tmp_path, monkeypatch):
    """An empty MODEL_DIR: the forecast trains its own (stage fallback on the tiny warehouse)."""
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _keys(result, dimension: str) -> set[str]:
    return set(result.by_group.filter(pl.col("dimension") == dimension)["key"].to_list())


def test_a_manager_sees_only_their_teams_owners_deals_and_groups(tiny, no_saved_model):
    mia = Actor(id="mia", email="mia@example.com", name="Mia", role="manager", team_id="t1")
    visible = visible_owner_ids(mia, con=tiny)
    everyone = forecast(con=tiny, simulations=200)
    result = forecast(con=tiny, simulations=200, visible_owner_ids=visible)
    assert "cid" in set(everyone.deals["owner_id"]) | _keys(everyone, "owner")
    assert set(result.deals["owner_id"]) <= set(visible)
    assert _keys(result, "owner") <= set(visible)
    assert _keys(result, "team") == {"t1"}
    assert _keys(result, "territory") == {"e"}


def test_a_reps_team_and_territory_rows_are_their_own_numbers(tiny, no_saved_model):
    result = forecast(con=tiny, simulations=200, visible_owner_ids=("ann",))
    rows = {r["dimension"]: r for r in result.by_group.iter_rows(named=True)}
    assert set(result.by_group["key"]) == {"ann", "t1", "e", "total"}
    assert rows["owner"]["mean"] > 0
    assert rows["team"]["mean"] == pytest.approx(rows["owner"]["mean"])
    assert rows["territory"]["mean"] == pytest.approx(rows["owner"]["mean"])
    assert result.totals["mean"] == pytest.approx(rows["owner"]["mean"])


def test_the_actuals_beside_a_reps_forecast_are_their_own_won_deals(tiny):
    before = dt.date(2026, 4, 30)
    everyone = won_by_month(before, 12, con=tiny)
    anns = won_by_month(before, 12, visible_owner_ids=("ann",), con=tiny)
    assert dict(anns.rows()) == {dt.date(2026, 3, 1): 1000.0}  # o1; Cid's o3 won in April is not hers
    assert dict(everyone.rows()) == {dt.date(2026, 3, 1): 1000.0, dt.date(2026, 4, 1): 2500.0}
