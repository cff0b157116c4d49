-- stage_changes — one row per row of opportunity_stage_history
SELECT
    h.id AS stage_change_id,
    h.opportunity_id AS opportunity_id,
    h.from_stage,
    h.to_stage,
    h.amount,
    h.expected_close_date AS expected_close_on,
    h.changed_at,
    utc_date(h.changed_at) AS changed_on,
    h.changed_by_id AS changed_by_id,
    h.reason,
    h.from_stage IS DISTINCT FROM h.to_stage AS is_stage_change,
    coalesce(fr.stage_rank > tr.stage_rank, false) AS is_backward,
    lead(h.changed_at) OVER w AS valid_to_at,
    -- finished visits only: the current stage's days are opportunities.days_in_stage (no clock in this mart)
    epoch(lead(h.changed_at) OVER w - h.changed_at) / 86400.0 AS days_in_stage
FROM stg_opportunity_stage_history AS h
LEFT JOIN stage_defaults AS fr ON fr.stage = h.from_stage
LEFT JOIN stage_defaults AS tr ON tr.stage = h.to_stage
WINDOW w AS (PARTITION BY h.opportunity_id ORDER BY h.changed_at, h.created_at, h.id)
