-- int_opportunity_changes — per opportunity: stage entered, close-date pushes, amount changes
WITH ordered AS (
    SELECT
        h.opportunity_id,
        h.to_stage,
        h.from_stage,
        h.changed_at,
        h.amount,
        h.expected_close_date,
        lag(h.amount) OVER w AS previous_amount,
        lag(h.expected_close_date) OVER w AS previous_close_date,
        row_number() OVER w AS seq
    FROM stg_opportunity_stage_history AS h
    WINDOW w AS (PARTITION BY h.opportunity_id ORDER BY h.changed_at, h.created_at, h.id)
)
SELECT
    o.opportunity_id,
    max(o.changed_at) FILTER (WHERE o.from_stage IS DISTINCT FROM o.to_stage AND o.to_stage = s.stage) AS stage_entered_at,
    count(*) FILTER (WHERE o.expected_close_date > o.previous_close_date) AS count_close_date_pushes,
    count(*) FILTER (WHERE o.seq > 1 AND o.amount IS NOT NULL AND o.previous_amount IS NOT NULL
                     AND o.amount <> o.previous_amount) AS count_amount_changes
FROM ordered AS o
JOIN stg_opportunities AS s ON s.id = o.opportunity_id
GROUP BY o.opportunity_id
