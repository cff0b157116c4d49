"""Lead → opportunity conversion: by segment, by creation cohort over time, time to convert, stage funnel."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.dimensions import LEAD_DIMENSIONS, dimension_sql, stages_values_sql
from analytics.filters import ALL, MetricFilter
from analytics.query import Source, run
from analytics.stats import with_rate
from models.domain import STAGE_ORDER

DAYS_TO_CONVERT = "days_to_convert"  # the mart's (converted_at − created_at) in days


def conversion_by(dimension: str, filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Leads created in the range, converted share and days to convert, per segment.

    Grain: one row per value of ``dimension`` (source, owner, team, territory, cohort_month).
    """
    key, label = dimension_sql(dimension, LEAD_DIMENSIONS)
    cond, params = filters.where(date_expr="created_on")
    frame = run(
        f"""
        SELECT CAST({key} AS VARCHAR) AS key, coalesce(CAST({label} AS VARCHAR), '(none)') AS label,
               count(*) AS count_leads,
               count(*) FILTER (WHERE is_converted) AS count_converted,
               median({DAYS_TO_CONVERT}) FILTER (WHERE is_converted) AS median_days_to_convert,
               quantile_cont({DAYS_TO_CONVERT}, 0.9) FILTER (WHERE is_converted) AS p90_days_to_convert
        FROM leads WHERE {cond}
        GROUP BY ALL ORDER BY count_leads DESC, label
        """,
        params,
        con=con,
    )
    return with_rate(frame, successes="count_converted", trials="count_leads", name="conversion_rate")


def conversion_rate_by_source(filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Lead → opportunity conversion rate per lead source (see :func:`conversion_by`)."""
    return conversion_by("source", filters, con=con)


def time_to_convert(filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Days from lead creation to conversion for converted leads created in the range: count, median, P90."""
    cond, params = filters.where(date_expr="created_on")
    return run(
        f"""
        SELECT count(*) AS count_converted,
               median({DAYS_TO_CONVERT}) AS median_days, quantile_cont({DAYS_TO_CONVERT}, 0.9) AS p90_days,
               avg({DAYS_TO_CONVERT}) AS mean_days
        FROM leads WHERE is_converted AND converted_at IS NOT NULL AND {cond}
        """,
        params,
        con=con,
    )


def _utc_naive(moment: dt.datetime | None) -> dt.datetime:
    moment = moment or dt.datetime.now(dt.UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def cohort_conversion_curves(
    filters: MetricFilter = ALL, *, as_of: dt.datetime | None = None, max_months: int = 12, con: Source = None
) -> pl.DataFrame:
    """Share of each creation-month cohort converted within k months, k = 1..max_months.

    Grain: one row per cohort month × k. Only leads at least k months old at ``as_of`` count in the
    denominator for k, so a young cohort is compared on the months it has actually lived.
    """
    cond, params = filters.where(date_expr="created_on")
    moment = _utc_naive(as_of)
    frame = run(
        f"""
        WITH l AS (
            SELECT created_month AS cohort_on, created_at AT TIME ZONE 'UTC' AS created,
                   CASE WHEN is_converted THEN converted_at AT TIME ZONE 'UTC' END AS converted
            FROM leads WHERE {cond}
        ), months AS (
            SELECT cohort_on, created, converted, date_diff('month', created, ?::TIMESTAMP) AS age_m,
                   date_diff('month', created, converted) AS convert_m
            FROM l
        ), per_lead AS (  -- whole months lived by as_of; months needed to convert (NULL = not converted)
            SELECT cohort_on,
                   age_m - CASE WHEN created + to_months(age_m) > ?::TIMESTAMP THEN 1 ELSE 0 END AS age_months,
                   convert_m + CASE WHEN created + to_months(convert_m) < converted THEN 1 ELSE 0 END
                       AS months_to_convert
            FROM months
        ), g AS (SELECT cohort_on, age_months, months_to_convert, count(*) AS n FROM per_lead GROUP BY ALL),
        k AS (SELECT unnest(range(1, ?::BIGINT + 1)) AS months_since_created)
        SELECT cohort_on, strftime(cohort_on, '%Y-%m') AS cohort_month, months_since_created,
               CAST(coalesce(sum(n) FILTER (WHERE age_months >= months_since_created), 0) AS BIGINT) AS count_leads,
               CAST(coalesce(sum(n) FILTER (WHERE age_months >= months_since_created
                                            AND months_to_convert <= months_since_created), 0) AS BIGINT)
                   AS count_converted,
               CAST(sum(n) AS BIGINT) AS cohort_size
        FROM g CROSS JOIN k
        GROUP BY ALL HAVING count_leads > 0
        ORDER BY cohort_on, months_since_created
        """,
        [*params, moment, moment, max_months],
        con=con,
    )
    frame = frame.with_columns((pl.col("count_leads") == pl.col("cohort_size")).alias("is_complete"))
    return with_rate(frame, successes="count_converted", trials="count_leads", name="conversion_rate")


def stage_funnel(filters: MetricFilter = ALL, *, con: Source = None) -> pl.DataFrame:
    """Opportunities created in the range that reached each stage, and the stage-to-stage conversion.

    A deal has reached a stage when it has ever been in it or in a later one (closed_lost does not count
    as a stage reached). Grain: one row per stage from prospecting to closed_won.
    """
    cond, params = filters.where(date_expr="created_on")
    funnel = tuple(s for s in STAGE_ORDER if s != "closed_lost")
    frame = run(
        f"""
        WITH o AS (SELECT opportunity_id, stage FROM opportunities WHERE {cond}),
        seen AS (
            SELECT opportunity_id, to_stage AS stage FROM stage_changes
            WHERE opportunity_id IN (SELECT opportunity_id FROM o)
            UNION ALL SELECT opportunity_id, stage FROM o
        ),
        reached AS (
            SELECT o.opportunity_id, coalesce(max(stages.stage_order), 1) AS max_order
            FROM o LEFT JOIN seen USING (opportunity_id)
            LEFT JOIN {stages_values_sql(funnel)} ON stages.stage = seen.stage
            GROUP BY 1
        )
        SELECT stages.stage, stages.stage_order, count(reached.opportunity_id) AS count_reached
        FROM {stages_values_sql(funnel)} LEFT JOIN reached ON reached.max_order >= stages.stage_order
        GROUP BY ALL ORDER BY stages.stage_order
        """,
        params,
        con=con,
    )
    top = frame["count_reached"].first() if frame.height else 0
    frame = frame.with_columns(
        pl.col("count_reached").shift(1).fill_null(pl.col("count_reached")).alias("count_previous"),
        (pl.col("count_reached") / top if top else pl.lit(None, dtype=pl.Float64)).alias("share_of_first"),
    )
    return with_rate(frame, successes="count_reached", trials="count_previous", name="stage_conversion")
