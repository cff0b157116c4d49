"""Forecast page on an old imported data set: it starts at the data's last dated event and says how far back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from analytics.training import train_models
from core.settings import get_settings
from etl.refresh import refresh
from tests.crm.import_support import run_import
from tests.pages.dashboard_support import open_page


def _deals() -> bytes:
    rows = ["external_id,name,stage,amount,created_at,closed_at"]
    for i in range(40):
        month = 1 + i % 9
        stage = "closed_won" if i % 3 else "closed_lost"
        amount = 1000 + 10 * i if i % 3 else 0
        rows.append(f"D-{i},Deal {i},{stage},{amount},2021-{month:02d}-01,2021-{month + 1:02d}-15")
    rows.append("OPEN-1,Still open,discovery,5000,2021-09-01,")
    rows.append("UNDATED-1,No dates,prospecting,,,")  # created at the import: must not move the as-of
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def old_data(clean_db: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    report = run_import(clean_db, entity="opportunities", source=_deals())
    assert report.error_count == 0, report.errors[:3]
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    refresh(full=True, url=database_url, warehouse_path=tmp_path / "warehouse.duckdb")
    train_models()
    yield
    get_settings.cache_clear()


def test_an_old_data_set_is_forecast_from_its_own_end_and_the_page_says_so(old_data: None) -> None:
    at = open_page("forecast")

    assert not at.exception
    notes = [i.value for i in at.info if i.value.startswith("The data ends")]
    assert len(notes) == 1 and notes[0].startswith("The data ends on 2021-10-15,")
    assert "days before today" in notes[0]
