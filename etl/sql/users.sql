-- users — one row per user (no secrets: password hashes are never copied)
SELECT
    CAST(u.id AS VARCHAR) AS user_id,
    u.email,
    u.name,
    u.role,
    u.is_active,
    CAST(u.manager_id AS VARCHAR) AS manager_id,
    CAST(u.team_id AS VARCHAR) AS team_id,
    tm.name AS team_name,
    CAST(u.territory_id AS VARCHAR) AS territory_id,
    tr.name AS territory_name,
    u.created_at
FROM stg_users AS u
LEFT JOIN stg_teams AS tm ON tm.id = u.team_id
LEFT JOIN stg_territories AS tr ON tr.id = u.territory_id
