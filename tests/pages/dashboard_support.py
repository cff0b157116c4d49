"""Shared set-up for the dashboard AppTests: a tiny warehouse and a signed-in user, no PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from crm.actors import Actor
from tests.analytics.tiny_warehouse import build_warehouse

ROOT = Path(__file__).resolve().parents[2]
ANALYST = Actor(id=uuid.uuid4(), email="sam@example.com", name="Sam Analyst", role="analyst")
REP_ANN = Actor(id="ann", email="ann@example.com", name="Ann Able", role="rep", team_id="t1")
Q1 = {"from": "2026-01-01", "to": "2026-03-31"}


def tiny_warehouse(tmp_path: Path, monkeypatch) -> Path:
    """Serve the hand-computed warehouse to the page (a fresh ETL run so nothing looks stale)."""
    from core.settings import get_settings

    path = build_warehouse(tmp_path / "warehouse.duckdb", snapshot_at=dt.datetime.now(dt.UTC))
    monkeypatch.setenv("WAREHOUSE_PATH", str(path))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "models"))  # no trained model unless a test writes one
    get_settings.cache_clear()
    st.cache_data.clear()
    return path


def open_page(page: str, *, user: Actor = ANALYST, params: dict[str, str] | None = None) -> AppTest:
    """Run ``pages/<page>.py`` as ``user`` with the given URL query params."""
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=30)
    at.session_state["signed_in_user"] = user
    for name, value in (params or {}).items():
        at.query_params[name] = value
    return at.run()


def texts(at: AppTest) -> str:
    """Every caption, info, warning, error, markdown and subheader on the page, joined."""
    parts = [
        e.value
        for kind in ("caption", "info", "warning", "error", "markdown", "subheader", "title")
        for e in at.get(kind)
    ]
    return "\n".join(str(p) for p in parts)
