-- quotas — one row per rep per quarter
SELECT
    q.id AS quota_id,
    q.user_id AS user_id,
    q.period_start AS quarter_start_on,
    CAST(q.period_start + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS quarter_end_on,
    q.amount,
    q.currency
FROM stg_quotas AS q
