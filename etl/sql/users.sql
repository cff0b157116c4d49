-- users — one row per user (no secrets: password hashes are never copied)
SELECT
    u.id AS user_id,
    u.email,
    u.name,
    u.role,
    u.is_active,
    u.manager_id AS manager_id,
    u.team_id AS team_id,
    tm.name AS team_name,
    u.territory_id AS territory_id,
    tr.name AS territory_name,
    u.created_at
FROM stg_users AS u
LEFT JOIN stg_teams AS tm ON tm.id = u.team_id
LEFT JOIN stg_territories AS tr ON tr.id = u.territory_id
