-- quotas — one row per rep per quarter
SELECT
    CAST(q.id AS VARCHAR) AS quota_id,
    CAST(q.user_id AS VARCHAR) AS user_id,
    q.period_start AS quarter_start_on,
    CAST(q.period_start + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS quarter_end_on,
    q.amount,
    q.currency
FROM stg_quotas AS q
