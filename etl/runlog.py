"""The run log (``etl_runs``) and the ETL state (``etl_state``), kept in the work file and copied on publish."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

RUNS_SCHEMA = (
    "(run_id VARCHAR PRIMARY KEY, mode VARCHAR, status VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, "
    "duration_seconds DOUBLE, source_snapshot_at TIMESTAMPTZ, rows_extracted JSON, rows_in_marts JSON, error VARCHAR)"
)
STATE_DDL = "CREATE TABLE IF NOT EXISTS {db}.main.etl_state (key VARCHAR PRIMARY KEY, value VARCHAR)"
RUN_COLUMNS = (
    "run_id, mode, status, started_at, finished_at, duration_seconds, source_snapshot_at, rows_extracted, "
    "rows_in_marts, error"
)


@dataclass
class Run:
    """One refresh attempt, as written to ``etl_runs``."""

    run_id: str
    mode: str
    started_at: datetime
    status: str = "running"
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    source_snapshot_at: datetime | None = None
    rows_extracted: dict[str, int] = field(default_factory=dict)
    rows_in_marts: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def values(self) -> list[Any]:
        """The row, in RUN_COLUMNS order."""
        return [
            self.run_id,
            self.mode,
            self.status,
            self.started_at,
            self.finished_at,
            self.duration_seconds,
            self.source_snapshot_at,
            json.dumps(self.rows_extracted),
            json.dumps(self.rows_in_marts),
            self.error,
        ]


@dataclass(frozen=True)
class State:
    """Where the last successful refresh left off."""

    watermark: datetime
    source: str
    fingerprint: str
    patches: int = 0  # incremental runs since the marts were last rebuilt whole


def has_table(duck: duckdb.DuckDBPyConnection, db: str, table: str) -> bool:
    """Whether ``db.main.table`` exists."""
    return bool(
        duck.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' AND table_name = ?",
            [db, table],
        ).fetchall()[0][0]
    )


def read_state(duck: duckdb.DuckDBPyConnection, db: str) -> State | None:
    """The state stored in attached database ``db``, or None when it has none."""
    if not has_table(duck, db, "etl_state"):
        return None
    values = dict(duck.execute(f"SELECT key, value FROM {db}.main.etl_state").fetchall())
    if not {"watermark", "source", "fingerprint"} <= values.keys():
        return None
    return State(
        watermark=datetime.fromisoformat(values["watermark"]),
        source=values["source"],
        fingerprint=values["fingerprint"],
        patches=int(values.get("patches", "0")),
    )


def write_state(duck: duckdb.DuckDBPyConnection, db: str, state: State) -> None:
    """Replace the stored state (call inside the transaction that applies the run's changes)."""
    duck.execute(STATE_DDL.format(db=db))
    duck.execute(f"DELETE FROM {db}.main.etl_state")
    duck.executemany(
        f"INSERT INTO {db}.main.etl_state VALUES (?, ?)",
        [
            ("watermark", state.watermark.isoformat()),
            ("source", state.source),
            ("fingerprint", state.fingerprint),
            ("patches", str(state.patches)),
        ],
    )


def create_runs_table(duck: duckdb.DuckDBPyConnection, table: str) -> None:
    """Create an ``etl_runs``-shaped table named ``table`` (qualified or temp) when missing."""
    duck.execute(f"CREATE TABLE IF NOT EXISTS {table} {RUNS_SCHEMA}")


def insert_run(duck: duckdb.DuckDBPyConnection, db: str, run: Run) -> None:
    """Append ``run`` to ``db.etl_runs`` (creating the table when missing)."""
    create_runs_table(duck, f"{db}.main.etl_runs")
    duck.execute(
        f"INSERT OR REPLACE INTO {db}.main.etl_runs ({RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", run.values()
    )
