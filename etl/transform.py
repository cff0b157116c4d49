"""Staging views and marts: SQL files in ``etl/sql`` run in dependency order into the new serving file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from etl.specs import TABLES, TableSpec
from models.domain import OPEN_STAGES, STAGE_FORECAST_CATEGORY, STAGE_PROBABILITY, STAGES

SQL_DIR = Path(__file__).with_name("sql")


@dataclass(frozen=True)
class Model:
    """One SQL file: an intermediate (temp table, not published) or a mart (published)."""

    name: str
    grain: str
    published: bool = True


MODELS: tuple[Model, ...] = (
    Model("int_opportunity_changes", "one row per opportunity with stage history", published=False),
    Model("leads", "one row per lead"),
    Model("opportunities", "one row per opportunity"),
    Model("stage_changes", "one row per row of opportunity_stage_history"),
    Model("opportunity_history", "one row per opportunity per state interval"),
    Model("pipeline_daily", "one row per day × stage × owner × territory with open pipeline"),
    Model("users", "one row per user"),
    Model("teams", "one row per team"),
    Model("territories", "one row per territory"),
    Model("quotas", "one row per rep per quarter"),
)
MARTS: tuple[str, ...] = tuple(m.name for m in MODELS if m.published)


def model_sql(name: str) -> str:
    """The SELECT of one model."""
    return (SQL_DIR / f"{name}.sql").read_text()


def create_stage_defaults(duck: duckdb.DuckDBPyConnection) -> None:
    """A temp table of the stage constants (probability %, forecast category, open, rank) from models.domain."""
    rows = [
        (stage, STAGE_PROBABILITY[stage], STAGE_FORECAST_CATEGORY[stage], stage in OPEN_STAGES, min(rank, 5))
        for rank, stage in enumerate(STAGES, start=1)
    ]
    duck.execute(
        "CREATE OR REPLACE TEMP TABLE stage_defaults (stage VARCHAR, probability DECIMAL(5, 2), "
        "forecast_category VARCHAR, is_open BOOLEAN, stage_rank INTEGER)"
    )
    duck.executemany("INSERT INTO stage_defaults VALUES (?, ?, ?, ?, ?)", rows)


def create_staging_views(
    duck: duckdb.DuckDBPyConnection, *, merged: bool, specs: tuple[TableSpec, ...] = TABLES
) -> None:
    """``stg_<table>`` views over the work file's replicated tables, with this run's changes merged when asked.

    Merged view: the stored rows whose key neither changed nor was deleted in this run, plus the changed rows
    (de-duplication on the primary key). The work file itself is only updated after the publish.
    """
    for spec in specs:
        raw = f"work.main.{spec.raw_table}"
        if merged:
            key = spec.primary_key
            sql = (
                f"SELECT * FROM {raw} WHERE {key} NOT IN ("
                f"SELECT {key} FROM memory.main.delta_{spec.name} UNION ALL "
                f"SELECT record_id FROM memory.main.tombstones WHERE table_name = '{spec.name}') "
                f"UNION ALL SELECT * FROM memory.main.delta_{spec.name}"
            )
        else:
            sql = f"SELECT * FROM {raw}"
        duck.execute(f"CREATE OR REPLACE VIEW memory.main.stg_{spec.name} AS {sql}")


def build_marts(duck: duckdb.DuckDBPyConnection, *, as_of: datetime, target: str = "pub") -> dict[str, int]:
    """Build every model into database ``target`` (marts) or temp (intermediates); return mart row counts."""
    duck.execute("SET VARIABLE as_of = CAST(? AS TIMESTAMPTZ)", [as_of])
    # The UTC date of a timestamptz by arithmetic: CAST(ts AS DATE) goes through ICU and costs 7× more.
    duck.execute(
        "CREATE OR REPLACE TEMP MACRO utc_date(ts) AS "
        "DATE '1970-01-01' + CAST(floor(epoch_us(ts) / 86400000000.0) AS INTEGER)"
    )
    create_stage_defaults(duck)
    duck.execute(f"SET search_path = '{target}.main,temp.main,memory.main'")
    counts: dict[str, int] = {}
    for model in MODELS:
        sql = model_sql(model.name)
        if model.published:
            duck.execute(f"CREATE OR REPLACE TABLE {target}.main.{model.name} AS {sql}")
            counts[model.name] = duck.execute(f"SELECT count(*) FROM {target}.main.{model.name}").fetchall()[0][0]
        else:
            duck.execute(f"CREATE OR REPLACE TEMP TABLE {model.name} AS {sql}")
    return counts
