"""Every page, as a role that sees it, on an ETL-built demo warehouse with trained models: no table cell or
text reads None/nan/NaT, no header is snake_case, no date carries a time of day, no timestamp ends +00:00,
and no Python dict is printed."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, select, text
from streamlit.testing.v1 import AppTest

from analytics.backtest import run_backtest
from analytics.model_store import save_backtest
from analytics.training import train_models
from core.db import transaction
from core.settings import get_settings
from crm.actors import Actor, actor_from_user
from demo import seed as demo
from etl.refresh import refresh
from models import User
from tests.conftest import TRUNCATE_ORDER

ROOT = Path(__file__).resolve().parents[2]
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
MISSING_WORDS = re.compile(r"(?<![\w`])(None|nan|NaN|NaT|null)(?![\w`])")
MIDNIGHT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]00:00:00")
DICT_REPR = re.compile(r"\{'[a-z_]+': ")
# (page, role, URL query params) — every section of every page, seen by someone who may see it.
VISITS: list[tuple[str, str, dict[str, str]]] = [
    ("overview", "manager", {}),
    ("pipeline", "manager", {}),
    ("pipeline", "manager", {"view": "Trend"}),
    ("pipeline", "manager", {"view": "Changes"}),
    ("pipeline", "analyst", {"view": "Stale deals"}),
    ("conversion", "analyst", {}),
    ("conversion", "analyst", {"view": "Cohorts"}),
    ("conversion", "analyst", {"view": "Funnel"}),
    ("conversion", "analyst", {"view": "Win rate"}),
    ("team", "manager", {}),
    ("team", "manager", {"view": "Coverage"}),
    ("team", "manager", {"view": "Time in stage"}),
    ("forecast", "manager", {}),
    ("about_numbers", "analyst", {}),
    ("leads", "rep", {}),
    ("leads", "manager", {}),
    ("opportunities", "rep", {}),
    ("opportunities", "analyst", {}),
    ("users", "admin", {}),
    ("territories", "admin", {}),
    ("import_data", "admin", {}),
]


@pytest.fixture(scope="module")
def demo_warehouse(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 2,000-lead demo copied by the ETL into a warehouse of the module's own, with models and a backtest."""
    folder = tmp_path_factory.mktemp("every_page")
    try:
        demo.seed_demo(leads=2000, seed=7, database=database_url)
        refresh(full=True, url=database_url, warehouse_path=folder / "warehouse.duckdb")
        yield folder
    finally:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(TRUNCATE_ORDER) + " CASCADE"))


@pytest.fixture(scope="module")
def trained(demo_warehouse: Path) -> Iterator[Path]:
    """Models and a (short) backtest saved beside the warehouse, as ``python -m analytics train/backtest`` do."""
    patch = pytest.MonkeyPatch()
    patch.setenv("WAREHOUSE_PATH", str(demo_warehouse / "warehouse.duckdb"))
    patch.setenv("MODEL_DIR", str(demo_warehouse / "models"))
    get_settings.cache_clear()
    train_models()
    save_backtest(*run_backtest(points=2, months=3, simulations=100))
    yield demo_warehouse
    patch.undo()
    get_settings.cache_clear()


@pytest.fixture
def served(trained: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WAREHOUSE_PATH", str(trained / "warehouse.duckdb"))
    monkeypatch.setenv("MODEL_DIR", str(trained / "models"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def demo_people(demo_warehouse: Path, engine: Engine) -> dict[str, Actor]:
    """One demo user per role (a manager who leads a team, a rep on a team)."""
    with transaction(engine) as session:
        users = list(session.scalars(select(User).where(User.is_active).order_by(User.email)))
        rep = next(u for u in users if u.role == "rep" and u.manager_id is not None)
        chosen = {
            "manager": next(u for u in users if u.id == rep.manager_id),
            "rep": rep,
            "analyst": next(u for u in users if u.role == "analyst"),
            "admin": next(u for u in users if u.role == "admin"),
        }
        return {role: actor_from_user(user) for role, user in chosen.items()}


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() in ("None", "nan", "NaN", "NaT", "null", "(None)")


def table_problems(where: str, frame: pd.DataFrame, columns_json: str, placeholder: str = "") -> list[str]:
    """What reads like a script in one shown table: missing cells, snake_case headers, dates with a time.

    A missing cell of a table with a ``placeholder`` (say "Any" in the rule editor) shows that word: fine.
    """
    config = json.loads(columns_json or "{}")
    shows_placeholder = bool(placeholder.strip()) and placeholder.strip() not in ("None", "nan", "NaT")
    problems = []
    for column in frame.columns:
        spec = config.get(f"col:{column}") or config.get(str(column)) or {}
        if spec.get("hidden"):
            continue
        header = spec.get("label") or str(column)
        if SNAKE.match(header) or (header.islower() and header.isidentifier()):  # count_open, amount
            problems.append(f"{where}: header {header!r} reads like code")
        values = frame[column].tolist()
        if any(_missing(v) and not (shows_placeholder and (v is None or v is pd.NaT)) for v in values):
            problems.append(f"{where}: column {header!r} shows a missing value as None/nan/NaT")
        if pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
            problems.append(f"{where}: column {header!r} is a raw datetime (shown with its time of day)")
        for value in values:
            text_value = str(value)
            if MIDNIGHT.search(text_value) or text_value.endswith("+00:00"):
                problems.append(f"{where}: column {header!r} shows {text_value!r}")
                break
    return problems


def text_problems(where: str, at: AppTest) -> list[str]:
    """What reads like a script in the page's text: None/nan, +00:00 timestamps, dates at midnight, dicts."""
    problems = []
    for kind in ("markdown", "caption", "text", "info", "warning", "subheader", "title", "metric", "expander"):
        for element in at.get(kind):
            value = getattr(element, "value", None)
            body = " ".join(str(v) for v in (value, getattr(element, "label", None)) if v is not None)
            for pattern, what in ((MISSING_WORDS, "None/nan"), (MIDNIGHT, "a date at midnight"), (DICT_REPR, "a dict")):
                if pattern.search(body):
                    problems.append(f"{where}: {kind} shows {what}: {body[:120]!r}")
            if "+00:00" in body:
                problems.append(f"{where}: {kind} shows a +00:00 timestamp: {body[:120]!r}")
    return problems


def visit(page: str, actor: Actor, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
    at.session_state["signed_in_user"] = actor
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def page_problems(where: str, at: AppTest) -> list[str]:
    problems = [f"{where}: raised {e.value}" for e in at.exception]
    for i, table in enumerate(at.dataframe):
        shown = (table.value, table.proto.columns, table.proto.placeholder)
        problems += table_problems(f"{where} table {table.key or i}", *shown)
    return problems + text_problems(where, at)


def test_every_page_and_section_reads_like_a_product(served, demo_people):
    problems: list[str] = []
    tables = 0
    for page, role, params in VISITS:
        at = visit(page, demo_people[role], params)
        tables += len(at.dataframe)
        problems += page_problems(f"{page} {params or ''} as {role}", at)
        if page == "overview":  # the records behind the KPIs: the drill-down tables
            for choice in at.selectbox(key="overview_rec").options:
                at.selectbox(key="overview_rec").select(choice).run()
                tables += len(at.dataframe)
                problems += page_problems(f"overview records {choice!r}", at)
    assert not problems, "\n".join(problems)
    assert tables >= 25  # the walk saw the tables, not empty pages


def test_the_check_catches_what_it_is_for():
    frame = pd.DataFrame(
        {"count_open": [1, None], "snapshot_on": pd.to_datetime(["2026-09-05", "2026-09-06"]), "Owner": ["A", "B"]}
    )
    found = "\n".join(table_problems("t", frame, json.dumps({})))
    assert "'count_open' reads like code" in found
    assert "'count_open' shows a missing value" in found
    assert "'snapshot_on' is a raw datetime" in found
    assert "'Owner'" not in found
    labelled = json.dumps({"col:count_open": {"label": "Open deals"}, "col:snapshot_on": {"hidden": True}})
    assert "reads like code" not in "\n".join(table_problems("t", frame, labelled))
    assert table_problems("t", pd.DataFrame({"When": ["2026-09-05 00:00:00"]}), "{}")
    assert table_problems("t", pd.DataFrame({"When": ["2026-09-05 14:03:00+00:00"]}), "{}")
    assert not table_problems("t", pd.DataFrame({"Countries": [None]}), "{}", placeholder="Any")
    assert table_problems("t", pd.DataFrame({"Countries": [None]}), "{}", placeholder="None")
