-- teams — one row per team
SELECT
    t.id AS team_id,
    t.name,
    t.manager_id AS manager_id,
    m.name AS manager_name
FROM stg_teams AS t
LEFT JOIN stg_users AS m ON m.id = t.manager_id
