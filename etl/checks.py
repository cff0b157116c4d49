"""Data checks run on the new serving file before it is published: keys, relationships, invariants."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Check:
    """A named query that counts the rows violating one rule (0 = pass)."""

    name: str
    violations_sql: str
    scoped_sql: str | None = None  # the same rule over the rows a patch touched (see run_checks)


@dataclass(frozen=True)
class CheckFailure:
    """A check that found violating rows."""

    name: str
    rows: int

    def __str__(self) -> str:
        return f"{self.name} failed on {self.rows} row{'s' if self.rows != 1 else ''}"


class DataCheckFailed(RuntimeError):
    """At least one data check failed; nothing was published."""

    def __init__(self, failures: list[CheckFailure]) -> None:
        super().__init__("data check " + "; ".join(str(f) for f in failures) + " — nothing was published")
        self.failures = failures


# Marts a patch rewrites by key: (key column, temp table of the touched keys as VARCHAR ``id``).
SCOPES = {
    "leads": ("lead_id", "touched_leads"),
    "opportunities": ("opportunity_id", "touched_opportunities"),
    "stage_changes": ("opportunity_id", "touched_opportunities"),
    "opportunity_history": ("opportunity_id", "touched_opportunities"),
}


def _in_scope(table: str, alias: str = "") -> str:
    column, touched = SCOPES[table]
    return f"{alias}{column} IN (SELECT id FROM {touched})"


def _unique(table: str, *columns: str) -> Check:
    cols = ", ".join(columns)
    sql = "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {t}{where} GROUP BY {c} HAVING count(*) > 1)"
    return Check(
        f"{table}.{'+'.join(columns)} unique",
        sql.format(t=table, where="", c=cols),
        sql.format(t=table, where=f" WHERE {_in_scope(table)}", c=cols) if table in SCOPES else None,
    )


def _not_null(table: str, column: str) -> Check:
    return Check(f"{table}.{column} not null", f"SELECT count(*) FROM {table} WHERE {column} IS NULL")


def _key(table: str, column: str) -> list[Check]:
    return [_not_null(table, column), _unique(table, column)]


def _relationship(table: str, column: str, parent: str, parent_key: str) -> Check:
    sql = (
        f"SELECT count(*) FROM {table} AS c WHERE c.{column} IS NOT NULL {{scope}}"
        f"AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE p.{parent_key} = c.{column})"
    )
    scoped = None
    if table in SCOPES and parent in SCOPES:  # touched children, and children of touched (e.g. deleted) parents
        parent_touched = SCOPES[parent][1]
        scoped = sql.format(scope=f"AND ({_in_scope(table, 'c.')} OR c.{column} IN (SELECT id FROM {parent_touched})) ")
    return Check(f"{table}.{column} references {parent}.{parent_key}", sql.format(scope=""), scoped)


def _invariant(name: str, table: str, bad_rows_where: str) -> Check:
    return Check(name, f"SELECT count(*) FROM {table} WHERE {bad_rows_where}")


_CURRENT_INTERVALS = (
    "SELECT count(*) FROM opportunities AS o LEFT JOIN (SELECT opportunity_id, count(*) AS n "
    "FROM opportunity_history WHERE valid_to_at IS NULL GROUP BY opportunity_id) AS c USING (opportunity_id) "
    "WHERE coalesce(c.n, 0) <> 1 {where}"
)
_CURRENT_MATCHES = (
    "SELECT count(*) FROM opportunity_history AS h JOIN opportunities AS o USING (opportunity_id) "
    "WHERE h.valid_to_at IS NULL AND (h.stage <> o.stage OR h.amount <> o.amount) {where}"
)

CHECKS: tuple[Check, ...] = (
    *_key("leads", "lead_id"),
    *_key("opportunities", "opportunity_id"),
    *_key("stage_changes", "stage_change_id"),
    *_key("users", "user_id"),
    *_key("teams", "team_id"),
    *_key("territories", "territory_id"),
    *_key("quotas", "quota_id"),
    _not_null("opportunity_history", "opportunity_id"),
    _not_null("opportunity_history", "valid_from_at"),
    _unique("opportunity_history", "opportunity_id", "valid_from_at"),
    _not_null("pipeline_daily", "snapshot_on"),
    _unique("pipeline_daily", "snapshot_on", "stage", "owner_id", "territory_id"),
    _relationship("leads", "owner_id", "users", "user_id"),
    _relationship("leads", "territory_id", "territories", "territory_id"),
    _relationship("opportunities", "owner_id", "users", "user_id"),
    _relationship("opportunities", "lead_id", "leads", "lead_id"),
    _relationship("stage_changes", "opportunity_id", "opportunities", "opportunity_id"),
    _relationship("opportunity_history", "opportunity_id", "opportunities", "opportunity_id"),
    _relationship("users", "team_id", "teams", "team_id"),
    _relationship("quotas", "user_id", "users", "user_id"),
    _invariant("opportunities.amount not negative", "opportunities", "amount < 0"),
    _invariant("opportunities.weighted_amount <= amount", "opportunities", "weighted_amount > amount"),
    _invariant("opportunities.probability in 0–1", "opportunities", "probability NOT BETWEEN 0 AND 1"),
    _invariant("opportunities closed iff closed_at", "opportunities", "is_closed <> (closed_at IS NOT NULL)"),
    _invariant("leads converted have converted_at", "leads", "is_converted AND converted_at IS NULL"),
    _invariant("opportunity_history intervals are positive", "opportunity_history", "valid_to_at <= valid_from_at"),
    Check(
        "opportunity_history one current interval per opportunity",
        _CURRENT_INTERVALS.format(where=""),
        _CURRENT_INTERVALS.format(where=f"AND o.{_in_scope('opportunities')}"),
    ),
    Check(
        "opportunity_history current interval matches opportunities",
        _CURRENT_MATCHES.format(where=""),
        _CURRENT_MATCHES.format(where=f"AND h.{_in_scope('opportunity_history')}"),
    ),
    _invariant("pipeline_daily.count_open positive", "pipeline_daily", "count_open <= 0"),
)


def run_checks(
    duck: duckdb.DuckDBPyConnection, checks: tuple[Check, ...] = CHECKS, *, scoped: bool = False
) -> list[CheckFailure]:
    """Run every check on the current search path; return those that found violating rows.

    ``scoped``: the marts are a patched copy of a published (hence checked) file, and the temp tables
    ``touched_leads``/``touched_opportunities`` hold every key the patch rewrote; key and relationship rules
    of the big marts then only need the touched rows (the untouched ones are unchanged), the rest runs whole.
    """
    failures = []
    for check in checks:
        sql = check.scoped_sql if scoped and check.scoped_sql else check.violations_sql
        rows = duck.execute(sql).fetchall()[0][0]
        if rows:
            failures.append(CheckFailure(check.name, int(rows)))
    return failures
