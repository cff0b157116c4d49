-- teams — one row per team
SELECT
    CAST(t.id AS VARCHAR) AS team_id,
    t.name,
    CAST(t.manager_id AS VARCHAR) AS manager_id,
    m.name AS manager_name
FROM stg_teams AS t
LEFT JOIN stg_users AS m ON m.id = t.manager_id
