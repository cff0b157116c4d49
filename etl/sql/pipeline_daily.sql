-- pipeline_daily — one row per day × stage × owner × territory with open pipeline (state at the end of the UTC day).
-- An open interval counts on day D when valid_from_at <= end of D < valid_to_at; spans become +/- events,
-- a running sum per group gives the state after each event, and each state is spread over its days.
-- Reads pipeline_intervals: opportunity_history with a weight (1; a patch passes old rows at -1 and new at +1,
-- which yields the change to add to the previous pipeline_daily). A deal whose amount was not yet known that day
-- (imported history, see opportunity_history) counts in count_open and adds nothing to the amounts.
WITH spans AS (
    SELECT
        stage,
        owner_id,
        team_id,
        territory_id,
        weight,
        weight * coalesce(amount, 0) AS amount,
        CAST(weight * coalesce(amount, 0) * probability AS DECIMAL(18, 2)) AS weighted,
        utc_date(valid_from_at) AS first_on,
        coalesce(utc_date(valid_to_at) - 1, utc_date(getvariable('as_of'))) AS last_on
    FROM pipeline_intervals
    WHERE is_open AND utc_date(valid_from_at) <= utc_date(getvariable('as_of'))
),
events AS (
    SELECT stage, owner_id, team_id, territory_id, first_on AS day, weight AS d_count, amount AS d_amount,
           weighted AS d_weighted
    FROM spans WHERE last_on >= first_on
    UNION ALL
    SELECT stage, owner_id, team_id, territory_id, last_on + 1, -weight, -amount, -weighted
    FROM spans WHERE last_on >= first_on
),
daily AS (
    SELECT stage, owner_id, team_id, territory_id, day,
           sum(d_count) AS d_count, sum(d_amount) AS d_amount, sum(d_weighted) AS d_weighted
    FROM events
    GROUP BY ALL
),
running AS (
    SELECT
        stage, owner_id, team_id, territory_id, day,
        sum(d_count) OVER g AS count_open,
        sum(d_amount) OVER g AS amount,
        sum(d_weighted) OVER g AS weighted_amount,
        lead(day) OVER g AS next_day
    FROM daily
    WINDOW g AS (PARTITION BY stage, owner_id, team_id, territory_id ORDER BY day
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT
    CAST(unnest(generate_series(day, next_day - 1, INTERVAL 1 DAY)) AS DATE) AS snapshot_on,
    stage,
    owner_id,
    team_id,
    territory_id,
    CAST(count_open AS BIGINT) AS count_open,
    CAST(amount AS DECIMAL(18, 2)) AS amount,
    CAST(weighted_amount AS DECIMAL(18, 2)) AS weighted_amount
FROM running
WHERE count_open <> 0 OR amount <> 0 OR weighted_amount <> 0
