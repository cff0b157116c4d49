-- territories — one row per territory
SELECT
    CAST(t.id AS VARCHAR) AS territory_id,
    t.name,
    t.region,
    t.priority,
    t.is_active
FROM stg_territories AS t
