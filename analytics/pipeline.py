"""Open pipeline: now by segment, on a past day, over time, and what changed between two days."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.dimensions import OPPORTUNITY_DIMENSIONS, dimension_sql, stages_values_sql
from analytics.filters import ALL, MetricFilter
from analytics.query import Source, run
from analytics.stats import day_end
from models.domain import OPEN_STAGES

CHANGE_CATEGORIES = ("new", "increased", "decreased", "won", "lost", "unchanged")


def _open_pipeline_sql(segments: str, cond: str, *, weighted: bool = True) -> str:
    """The open pipeline (deals open now: count, amount, amount × probability) grouped by ``segments``."""
    weighted_sql = ", CAST(coalesce(sum(weighted_amount), 0) AS DOUBLE) AS weighted_amount" if weighted else ""
    return f"""
        SELECT {segments},
               count(*) AS count_open, CAST(coalesce(sum(amount), 0) AS DOUBLE) AS amount{weighted_sql}
        FROM opportunities WHERE is_open AND {cond} GROUP BY ALL
    """


def open_pipeline_by(dimension: str, filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Open deals now, per segment: count, amount and weighted amount (amount × probability).

    The date range does not apply (the pipeline is a stock); the other filters do.
    """
    key, label = dimension_sql(dimension, OPPORTUNITY_DIMENSIONS)
    cond, params = filters.where()
    grouped = _open_pipeline_sql(
        f"CAST({key} AS VARCHAR) AS key, coalesce(CAST({label} AS VARCHAR), '(none)') AS label", cond
    )
    if dimension == "stage":
        sql = f"""
            WITH g AS ({grouped})
            SELECT stages.stage AS key, stages.stage AS label, coalesce(g.count_open, 0) AS count_open,
                   coalesce(g.amount, 0) AS amount, coalesce(g.weighted_amount, 0) AS weighted_amount
            FROM {stages_values_sql(OPEN_STAGES)} LEFT JOIN g ON g.key = stages.stage
            ORDER BY stages.stage_order
        """
    else:
        sql = grouped + " ORDER BY amount DESC, label"
    return run(sql, params, con=con)


def open_pipeline_by_stage(filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Open pipeline per open stage, in funnel order (see :func:`open_pipeline_by`)."""
    return open_pipeline_by("stage", filters, con=con)


def open_pipeline_by_stage_and_territory(filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Open pipeline per stage and territory name ("unassigned" without one): the /metrics gauge's figures."""
    cond, params = filters.where()
    sql = _open_pipeline_sql("stage, coalesce(territory_name, 'unassigned') AS territory", cond, weighted=False)
    return run(sql + " ORDER BY stage, territory", params, con=con)


def state_on_sql(alias: str) -> str:
    """A CTE ``alias`` of each deal's history row valid at an instant (two parameters: that instant twice)."""
    return f"""{alias} AS (
        SELECT * FROM opportunity_history
        WHERE valid_from_at < ?::TIMESTAMPTZ AND (valid_to_at IS NULL OR valid_to_at >= ?::TIMESTAMPTZ)
    )"""


def pipeline_on(day: dt.date, filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Open pipeline at the end of a UTC day: count, amount, weighted amount (amount × probability).

    Reads the daily snapshot (``pipeline_daily``) when it covers the day and no source filter is set,
    else rebuilds the day from ``opportunity_history``; both apply the same end-of-day rule.
    """
    if not filters.sources:
        cond, params = filters.where(source=False)
        frame = run(
            f"""
            SELECT CAST(coalesce(sum(count_open), 0) AS BIGINT) AS count_open,
                   CAST(coalesce(sum(amount), 0) AS DOUBLE) AS amount,
                   CAST(coalesce(sum(weighted_amount), 0) AS DOUBLE) AS weighted_amount,
                   (SELECT max(snapshot_on) FROM pipeline_daily) >= ?::DATE AS is_covered
            FROM pipeline_daily WHERE snapshot_on = ?::DATE AND {cond}
            """,
            [day, day, *params],
            con=con,
        )
        if frame["is_covered"][0]:
            return frame.drop("is_covered")
    return _pipeline_from_history(day, filters, con=con)


def _pipeline_from_history(
    day: dt.date, filters: MetricFilter, *, closing_by: dt.date | None = None, con: Source = None
) -> pl.DataFrame:
    """:func:`pipeline_on` rebuilt from ``opportunity_history``, optionally only deals expected to close by a day."""
    cond, params = filters.where(alias="o")
    end = day_end(day)
    closing = "" if closing_by is None else "AND h.expected_close_on <= ?::DATE"
    return run(
        f"""
        WITH {state_on_sql("h")}
        SELECT count(*) AS count_open, CAST(coalesce(sum(h.amount), 0) AS DOUBLE) AS amount,
               CAST(coalesce(sum(h.amount * h.probability), 0) AS DOUBLE) AS weighted_amount
        FROM h JOIN opportunities o USING (opportunity_id)
        WHERE h.is_open {closing} AND {cond}
        """,
        [end, end, *([] if closing_by is None else [closing_by]), *params],
        con=con,
    )


def weighted_pipeline_on(
    day: dt.date, filters: MetricFilter = ALL, *, closing_by: dt.date | None = None, con: Source = None
) -> float:
    """Weighted pipeline (Σ amount × probability) at the end of a UTC day, as in :func:`pipeline_on`.

    With ``closing_by``, only deals then expected to close on or before that day (the backtest's baseline).
    """
    return float(_pipeline_from_history(day, filters, closing_by=closing_by, con=con)["weighted_amount"][0])


def pipeline_trend(filters: MetricFilter = ALL, *, by: str = "stage", con: Source = None) -> pl.DataFrame:
    """Open pipeline at the end of each day in the range, per stage (or ``by`` = 'total').

    Reads ``pipeline_daily``, which has no lead source: the source filter does not apply here.
    """
    cond, params = filters.where(date_expr="snapshot_on", source=False)
    group = "stage" if by == "stage" else "'total'"
    return run(
        f"""
        SELECT snapshot_on, {group} AS stage, CAST(sum(count_open) AS BIGINT) AS count_open,
               CAST(sum(amount) AS DOUBLE) AS amount, CAST(sum(weighted_amount) AS DOUBLE) AS weighted_amount
        FROM pipeline_daily WHERE {cond}
        GROUP BY ALL ORDER BY snapshot_on, stage
        """,
        params,
        con=con,
    )


def pipeline_changes(
    from_day: dt.date, to_day: dt.date, filters: MetricFilter = ALL, *, con: Source = None
) -> pl.DataFrame:
    """Every deal open at the end of ``from_day`` or of ``to_day``, with what happened to it in between.

    ``change`` is one of new, increased, decreased, won, lost, unchanged; ``pipeline_effect`` is its
    signed effect on open pipeline (start + sum of effects = end). ``is_pulled_in`` / ``is_pushed_out``
    flag deals open on both days whose expected close date moved earlier / later. Owner, team,
    territory and source filters apply to the deal as it is now; the date range does not apply.
    """
    if from_day > to_day:
        raise ValueError(f"from_day {from_day} is after to_day {to_day}")
    cond, params = filters.where(alias="o")
    start, end = day_end(from_day), day_end(to_day)
    frame = run(
        f"""
        WITH {state_on_sql("f")}, {state_on_sql("t")}
        SELECT o.opportunity_id, o.name, o.account_name, o.owner_id, o.owner_name, o.team_name, o.territory_name,
               o.source, f.stage AS from_stage, t.stage AS to_stage,
               CAST(CASE WHEN f.is_open THEN f.amount END AS DOUBLE) AS from_amount,
               CAST(CASE WHEN t.is_open THEN t.amount END AS DOUBLE) AS to_amount,
               f.expected_close_on AS from_close_on, t.expected_close_on AS to_close_on,
               coalesce(f.is_open, FALSE) AS was_open, coalesce(t.is_open, FALSE) AS is_open_at_end,
               o.lost_reason
        FROM f FULL OUTER JOIN t USING (opportunity_id)
        JOIN opportunities o USING (opportunity_id)
        WHERE (coalesce(f.is_open, FALSE) OR coalesce(t.is_open, FALSE)) AND {cond}
        ORDER BY o.name, o.opportunity_id
        """,
        [start, start, end, end, *params],
        con=con,
    )
    both = pl.col("was_open") & pl.col("is_open_at_end")
    delta = pl.col("to_amount").fill_null(0) - pl.col("from_amount").fill_null(0)
    change = (
        pl.when(both & (delta > 0))
        .then(pl.lit("increased"))
        .when(both & (delta < 0))
        .then(pl.lit("decreased"))
        .when(both)
        .then(pl.lit("unchanged"))
        .when(pl.col("was_open") & (pl.col("to_stage") == "closed_won"))
        .then(pl.lit("won"))
        .when(pl.col("was_open"))
        .then(pl.lit("lost"))
        .otherwise(pl.lit("new"))
    )
    return frame.with_columns(
        change.alias("change"),
        delta.alias("pipeline_effect"),
        (both & (pl.col("to_close_on") < pl.col("from_close_on"))).fill_null(False).alias("is_pulled_in"),
        (both & (pl.col("to_close_on") > pl.col("from_close_on"))).fill_null(False).alias("is_pushed_out"),
    )


def pipeline_change_summary(changes: pl.DataFrame) -> pl.DataFrame:
    """The waterfall of :func:`pipeline_changes`: start, each change's count and effect, end; plus moved dates.

    Rows: start, new, increased, decreased, won, lost, end (``amount`` is the signed effect; start and
    end are totals), then pulled_in and pushed_out (``amount`` is those deals' open amount at the end).
    """
    rows: list[dict[str, object]] = [
        {"step": "start", "count_deals": int(changes["was_open"].sum()), "amount": float(changes["from_amount"].sum())}
    ]
    for step in ("new", "increased", "decreased", "won", "lost"):
        part = changes.filter(pl.col("change") == step)
        rows.append({"step": step, "count_deals": part.height, "amount": float(part["pipeline_effect"].sum())})
    rows.append(
        {
            "step": "end",
            "count_deals": int(changes["is_open_at_end"].sum()),
            "amount": float(changes["to_amount"].sum()),
        }
    )
    for step, flag in (("pulled_in", "is_pulled_in"), ("pushed_out", "is_pushed_out")):
        part = changes.filter(pl.col(flag))
        rows.append({"step": step, "count_deals": part.height, "amount": float(part["to_amount"].sum())})
    return pl.DataFrame(rows, schema={"step": pl.String, "count_deals": pl.Int64, "amount": pl.Float64})


def deals_behind_change(changes: pl.DataFrame, step: str) -> pl.DataFrame:
    """The deals behind one waterfall step of :func:`pipeline_change_summary`."""
    if step in ("pulled_in", "pushed_out"):
        return changes.filter(pl.col(f"is_{step}"))
    if step == "start":
        return changes.filter(pl.col("was_open"))
    if step == "end":
        return changes.filter(pl.col("is_open_at_end"))
    if step not in CHANGE_CATEGORIES:
        raise ValueError(f"step must be one of start, end, pulled_in, pushed_out, {', '.join(CHANGE_CATEGORIES)}")
    return changes.filter(pl.col("change") == step)
