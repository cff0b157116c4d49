-- territories — one row per territory
SELECT
    t.id AS territory_id,
    t.name,
    t.region,
    t.priority,
    t.is_active
FROM stg_territories AS t
