-- opportunity_history — one row per opportunity per state interval (SCD type 2), rebuilt from the stage history.
-- Each history row is the deal's state after a change; when the latest recorded state differs from the
-- opportunity's current row, the current state starts an interval at updated_at. Only what was known then: an
-- amount or close date not yet recorded is NULL (never filled from the current row), and a deal without any
-- history is open in the first stage (amount unknown) from created_at until its current state starts (closed_at
-- for a closed deal, updated_at for an open one in a later stage).
WITH recorded AS (
    SELECT
        h.opportunity_id,
        h.changed_at AS valid_from_at,
        h.to_stage AS stage,
        last_value(h.amount IGNORE NULLS) OVER w AS amount,
        last_value(h.expected_close_date IGNORE NULLS) OVER w AS expected_close_on,
        row_number() OVER (PARTITION BY h.opportunity_id ORDER BY h.changed_at DESC, h.created_at DESC, h.id DESC)
            AS newest_first,
        h.created_at AS recorded_at,
        h.id AS tiebreak,
        0 AS is_current_state
    FROM stg_opportunity_stage_history AS h
    JOIN stg_opportunities AS o ON o.id = h.opportunity_id
    WINDOW w AS (PARTITION BY h.opportunity_id ORDER BY h.changed_at, h.created_at, h.id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
current_state AS (
    SELECT
        o.id AS opportunity_id,
        CASE
            WHEN r.opportunity_id IS NOT NULL THEN greatest(o.updated_at, r.valid_from_at)
            WHEN o.stage IN ('closed_won', 'closed_lost') THEN greatest(o.created_at, coalesce(o.closed_at, o.created_at))
            WHEN o.stage <> 'prospecting' THEN greatest(o.created_at, o.updated_at)
            ELSE o.created_at
        END AS valid_from_at,
        o.stage,
        o.amount,
        o.expected_close_date AS expected_close_on,
        0 AS newest_first,
        o.updated_at AS recorded_at,
        CAST(NULL AS UUID) AS tiebreak,
        1 AS is_current_state
    FROM stg_opportunities AS o
    LEFT JOIN recorded AS r ON r.opportunity_id = o.id AND r.newest_first = 1
    WHERE r.opportunity_id IS NULL
       OR r.stage <> o.stage
       OR r.amount IS DISTINCT FROM o.amount
       OR r.expected_close_on IS DISTINCT FROM o.expected_close_date
),
unrecorded_opening AS (
    SELECT
        o.id AS opportunity_id,
        o.created_at AS valid_from_at,
        'prospecting' AS stage,
        CAST(NULL AS DECIMAL(14, 2)) AS amount,
        CAST(NULL AS DATE) AS expected_close_on,
        o.created_at AS recorded_at,
        CAST(NULL AS UUID) AS tiebreak,
        0 AS is_current_state
    FROM stg_opportunities AS o
    WHERE NOT EXISTS (SELECT 1 FROM stg_opportunity_stage_history AS h WHERE h.opportunity_id = o.id)
),
states AS (
    SELECT * EXCLUDE (newest_first) FROM recorded
    UNION ALL
    SELECT * EXCLUDE (newest_first) FROM current_state
    UNION ALL
    SELECT * FROM unrecorded_opening
),
distinct_states AS (
    SELECT *
    FROM states
    QUALIFY row_number() OVER (
        PARTITION BY opportunity_id, valid_from_at ORDER BY is_current_state DESC, recorded_at DESC, tiebreak DESC
    ) = 1
),
intervals AS (
    SELECT
        s.*,
        lead(s.valid_from_at) OVER (PARTITION BY s.opportunity_id ORDER BY s.valid_from_at) AS valid_to_at
    FROM distinct_states AS s
)
SELECT
    i.opportunity_id AS opportunity_id,
    i.valid_from_at,
    i.valid_to_at,
    i.stage,
    i.amount,
    i.expected_close_on,
    CAST(CASE WHEN i.valid_to_at IS NULL THEN coalesce(o.probability, sd.probability) ELSE sd.probability END / 100.0
         AS DOUBLE) AS probability,
    o.owner_id AS owner_id,
    u.team_id AS team_id,
    o.territory_id AS territory_id,
    sd.is_open
FROM intervals AS i
JOIN stg_opportunities AS o ON o.id = i.opportunity_id
JOIN stage_defaults AS sd ON sd.stage = i.stage
LEFT JOIN stg_users AS u ON u.id = o.owner_id
