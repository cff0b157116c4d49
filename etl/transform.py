"""Staging views and marts: SQL files in ``etl/sql`` run in dependency order into the new serving file."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from etl.specs import TABLES, TableSpec
from models.domain import OPEN_STAGES, STAGE_FORECAST_CATEGORY, STAGE_PROBABILITY, STAGES

SQL_DIR = Path(__file__).with_name("sql")
log = logging.getLogger(__name__)


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


def models_fingerprint() -> str:
    """A digest of the SQL models; when they change, the next refresh rebuilds every mart."""
    digest = hashlib.sha256()
    for path in sorted(SQL_DIR.glob("*.sql")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


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
        wall, cpu = time.perf_counter(), time.process_time()
        sql = model_sql(model.name)
        if model.name == "pipeline_daily":
            duck.execute(_INTERVALS_VIEW.format(target=target))
        if model.published:
            duck.execute(f"CREATE OR REPLACE TABLE {target}.main.{model.name} AS {sql}")
            counts[model.name] = duck.execute(f"SELECT count(*) FROM {target}.main.{model.name}").fetchall()[0][0]
        else:
            duck.execute(f"CREATE OR REPLACE TEMP TABLE {model.name} AS {sql}")
        log.info(
            "model %s built in %.2f s (cpu %.2f s)",
            model.name,
            time.perf_counter() - wall,
            time.process_time() - cpu,
            extra={"model": model.name},
        )
    return counts


_INTERVALS_VIEW = (
    "CREATE OR REPLACE TEMP VIEW pipeline_intervals AS SELECT *, 1 AS weight FROM {target}.main.opportunity_history"
)


_PIPELINE_KEYS = (
    "p.snapshot_on = c.snapshot_on AND p.stage = c.stage AND p.owner_id IS NOT DISTINCT FROM c.owner_id "
    "AND p.team_id IS NOT DISTINCT FROM c.team_id AND p.territory_id IS NOT DISTINCT FROM c.territory_id"
)
# The rows of pipeline_daily the change touches, with the change added (only those rows are rewritten).
_MERGE_PIPELINE_CHANGE = (
    """
CREATE OR REPLACE TEMP TABLE pipeline_merged AS
SELECT
    c.snapshot_on, c.stage, c.owner_id, c.team_id, c.territory_id,
    CAST(coalesce(p.count_open, 0) + c.count_open AS BIGINT) AS count_open,
    CAST(coalesce(p.amount, 0) + c.amount AS DECIMAL(18, 2)) AS amount,
    CAST(coalesce(p.weighted_amount, 0) + c.weighted_amount AS DECIMAL(18, 2)) AS weighted_amount
FROM pipeline_change AS c
LEFT JOIN {target}.main.pipeline_daily AS p ON """
    + _PIPELINE_KEYS
)

_DELETE_PIPELINE_CHANGE = (
    "DELETE FROM {target}.main.pipeline_daily AS p USING pipeline_change AS c WHERE " + _PIPELINE_KEYS
)
_INSERT_PIPELINE_CHANGE = "INSERT INTO {target}.main.pipeline_daily SELECT * FROM pipeline_merged WHERE count_open > 0"


def _run(duck: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> None:
    """Execute one step of a patch, logging its CPU time at DEBUG level."""
    began = time.process_time()
    duck.execute(sql, params)
    log.debug("%.2f cpu-s  %s", time.process_time() - began, " ".join(sql.split())[:90])


def _shadow(duck: duckdb.DuckDBPyConnection, table: str, where: str) -> None:
    """A temp view ``stg_<table>`` restricted by ``where`` that hides the full staging view of that name."""
    duck.execute(f"CREATE OR REPLACE TEMP VIEW stg_{table} AS SELECT * FROM memory.main.stg_{table} WHERE {where}")


def _unshadow(duck: duckdb.DuckDBPyConnection, *tables: str) -> None:
    for table in tables:
        duck.execute(f"DROP VIEW IF EXISTS temp.main.stg_{table}")


def _ids(table: str) -> str:
    """Stored keys changed (or deleted) in this run, for one replicated table."""
    return (
        f"SELECT id FROM memory.main.delta_{table} "
        f"UNION SELECT record_id FROM memory.main.tombstones WHERE table_name = '{table}'"
    )


_REFRESH_CLOCK_COLUMNS = (
    "UPDATE {target}.main.opportunities SET "
    "days_in_stage = epoch(getvariable('as_of') - stage_entered_at) / 86400.0, "
    "days_open = epoch(getvariable('as_of') - created_at) / 86400.0 WHERE is_open"
)


def touch_marts(duck: duckdb.DuckDBPyConnection, *, as_of: datetime, target: str = "pub") -> dict[str, int]:
    """Nothing changed since the file's last run: move only the open deals' clock-dependent columns."""
    _run(duck, "SET VARIABLE as_of = CAST(? AS TIMESTAMPTZ)", [as_of])
    _run(duck, _REFRESH_CLOCK_COLUMNS.format(target=target))
    return {mart: duck.execute(f"SELECT count(*) FROM {target}.main.{mart}").fetchall()[0][0] for mart in MARTS}


DIMENSION_SOURCES = ("users", "teams", "territories", "quotas")


def _any_changed(duck: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> bool:
    """Whether this run read a changed or deleted row of any of ``tables``."""
    parts = [f"(SELECT count(*) FROM memory.main.delta_{t})" for t in tables]
    names = ", ".join(f"'{t}'" for t in tables)
    parts.append(f"(SELECT count(*) FROM memory.main.tombstones WHERE table_name IN ({names}))")
    return bool(duck.execute("SELECT " + " + ".join(parts)).fetchall()[0][0])


def patch_marts(duck: duckdb.DuckDBPyConnection, *, as_of: datetime, target: str = "pub") -> dict[str, int]:
    """Bring the standby data file up to date in place: recompute only what the changes since its run touch.

    Row-level marts (leads, opportunities, stage_changes, opportunity_history) get their affected keys
    deleted and re-inserted from the merged staging views: a lead is affected when it changed or its owner,
    the owner's team or its territory changed; an opportunity when it, its stage history, its lead, account,
    owner, team or territory changed. The open deals' clock-dependent columns are refreshed; the aggregate and
    dimension marts are rebuilt whole, except pipeline_daily, which gets the change of the touched deals
    added (rebuilt whole on the first run of a new UTC day, when every open deal gains a day).
    """
    _run(duck, "SET VARIABLE as_of = CAST(? AS TIMESTAMPTZ)", [as_of])
    _run(
        duck,
        "CREATE OR REPLACE TEMP MACRO utc_date(ts) AS "
        "DATE '1970-01-01' + CAST(floor(epoch_us(ts) / 86400000000.0) AS INTEGER)",
    )
    create_stage_defaults(duck)
    _run(duck, f"SET search_path = '{target}.main,temp.main,memory.main'")
    _run(
        duck,
        "CREATE OR REPLACE TEMP TABLE changed_users AS "
        f"{_ids('users')} UNION SELECT id FROM memory.main.stg_users WHERE team_id IN ({_ids('teams')})",
    )
    _run(duck, f"CREATE OR REPLACE TEMP TABLE changed_territories AS {_ids('territories')}")
    dims_changed = duck.execute(
        "SELECT (SELECT count(*) FROM changed_users) + (SELECT count(*) FROM changed_territories)"
    ).fetchall()[0][0]
    by_dims = (
        " UNION SELECT id FROM memory.main.stg_{t} WHERE owner_id IN (SELECT id FROM changed_users) "
        "OR territory_id IN (SELECT id FROM changed_territories)"
    )
    _run(
        duck,
        "CREATE OR REPLACE TEMP TABLE affected_leads AS "
        + _ids("leads")
        + (by_dims.format(t="leads") if dims_changed else ""),
    )
    _run(
        duck,
        "CREATE OR REPLACE TEMP TABLE affected_opportunities AS "
        + _ids("opportunities")
        + " UNION SELECT opportunity_id FROM memory.main.delta_opportunity_stage_history"
        # a history row moved to another deal also leaves its previous deal
        # (as the file being patched has it: the work file may already be a run ahead)
        f" UNION SELECT h.opportunity_id FROM {target}.main.stage_changes AS h"
        " WHERE h.stage_change_id IN (SELECT id FROM memory.main.delta_opportunity_stage_history)"
        f" UNION SELECT h.opportunity_id FROM {target}.main.stage_changes AS h"
        " JOIN memory.main.tombstones AS t ON t.record_id = h.stage_change_id"
        " AND t.table_name = 'opportunity_stage_history'"
        " UNION SELECT id FROM memory.main.stg_opportunities WHERE lead_id IN (SELECT id FROM affected_leads)"
        f" OR account_id IN ({_ids('accounts')})" + (by_dims.format(t="opportunities") if dims_changed else ""),
    )

    _run(duck, "CREATE OR REPLACE TEMP TABLE touched_leads AS SELECT id FROM affected_leads")
    _run(
        duck,
        "CREATE OR REPLACE TEMP TABLE touched_opportunities AS SELECT id FROM affected_opportunities",
    )
    _shadow(duck, "leads", "id IN (SELECT id FROM affected_leads)")
    _run(duck, f"DELETE FROM {target}.main.leads WHERE lead_id IN (SELECT id FROM affected_leads)")
    _run(duck, f"INSERT INTO {target}.main.leads BY NAME {model_sql('leads')}")
    _unshadow(duck, "leads")

    _shadow(duck, "opportunities", "id IN (SELECT id FROM affected_opportunities)")
    _shadow(duck, "opportunity_stage_history", "opportunity_id IN (SELECT id FROM affected_opportunities)")
    _run(duck, f"CREATE OR REPLACE TEMP TABLE int_opportunity_changes AS {model_sql('int_opportunity_changes')}")
    previous_as_of = duck.execute(
        f"SELECT max(source_snapshot_at) FROM {target}.main.etl_runs WHERE status = 'success'"
    ).fetchall()[0][0]
    same_day = previous_as_of is not None and previous_as_of.astimezone(UTC).date() == as_of.astimezone(UTC).date()
    _run(
        duck,
        f"CREATE OR REPLACE TEMP TABLE previous_intervals AS SELECT * FROM {target}.main.opportunity_history "
        "WHERE opportunity_id IN (SELECT id FROM affected_opportunities)",
    )
    for mart in ("opportunities", "stage_changes", "opportunity_history"):
        _run(
            duck,
            f"DELETE FROM {target}.main.{mart} WHERE opportunity_id IN (SELECT id FROM affected_opportunities)",
        )
        _run(duck, f"INSERT INTO {target}.main.{mart} BY NAME {model_sql(mart)}")
    _unshadow(duck, "opportunities", "opportunity_stage_history")

    _run(duck, _REFRESH_CLOCK_COLUMNS.format(target=target))
    if same_day:  # add the change: new intervals of the touched deals at +1, their previous ones at -1
        _run(
            duck,
            "CREATE OR REPLACE TEMP VIEW pipeline_intervals AS "
            f"SELECT *, 1 AS weight FROM {target}.main.opportunity_history "
            "WHERE opportunity_id IN (SELECT id FROM affected_opportunities) "
            "UNION ALL SELECT *, -1 AS weight FROM previous_intervals",
        )
        _run(duck, f"CREATE OR REPLACE TEMP TABLE pipeline_change AS {model_sql('pipeline_daily')}")
        for step in (_MERGE_PIPELINE_CHANGE, _DELETE_PIPELINE_CHANGE, _INSERT_PIPELINE_CHANGE):
            _run(duck, step.format(target=target))
    else:  # a new day: every open deal extends by a day, rebuild
        _run(duck, _INTERVALS_VIEW.format(target=target))
        _run(duck, f"CREATE OR REPLACE TABLE {target}.main.pipeline_daily AS {model_sql('pipeline_daily')}")
    if _any_changed(duck, DIMENSION_SOURCES):  # small marts: rebuilt whole, but only when their sources changed
        for mart in ("users", "teams", "territories", "quotas"):
            _run(duck, f"CREATE OR REPLACE TABLE {target}.main.{mart} AS {model_sql(mart)}")
    return {mart: duck.execute(f"SELECT count(*) FROM {target}.main.{mart}").fetchall()[0][0] for mart in MARTS}
