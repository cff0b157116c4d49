-- opportunities — one row per opportunity
SELECT
    o.id AS opportunity_id,
    o.external_id,
    o.name,
    o.account_id AS account_id,
    a.name AS account_name,
    a.industry AS account_industry,
    o.lead_id AS lead_id,
    coalesce(l.source, o.source) AS source,
    o.owner_id AS owner_id,
    u.name AS owner_name,
    u.team_id AS team_id,
    tm.name AS team_name,
    o.territory_id AS territory_id,
    tr.name AS territory_name,
    o.stage,
    sd.is_open,
    NOT sd.is_open AS is_closed,
    o.stage = 'closed_won' AS is_won,
    o.amount,
    o.currency,
    CAST(coalesce(o.probability, sd.probability) / 100.0 AS DOUBLE) AS probability,
    CAST(CASE WHEN sd.is_open THEN o.amount * coalesce(o.probability, sd.probability) / 100.0 ELSE 0 END
         AS DECIMAL(14, 2)) AS weighted_amount,
    coalesce(o.forecast_category, sd.forecast_category) AS forecast_category,
    o.expected_close_date AS expected_close_on,
    o.created_at,
    utc_date(o.created_at) AS created_on,
    o.closed_at,
    utc_date(o.closed_at) AS closed_on,
    o.lost_reason,
    coalesce(c.stage_entered_at, o.created_at) AS stage_entered_at,
    epoch(coalesce(o.closed_at, getvariable('as_of')) - coalesce(c.stage_entered_at, o.created_at)) / 86400.0
        AS days_in_stage,
    epoch(coalesce(o.closed_at, getvariable('as_of')) - o.created_at) / 86400.0 AS days_open,
    coalesce(c.count_close_date_pushes, 0) AS count_close_date_pushes,
    coalesce(c.count_amount_changes, 0) AS count_amount_changes,
    o.updated_at
FROM stg_opportunities AS o
JOIN stage_defaults AS sd ON sd.stage = o.stage
LEFT JOIN int_opportunity_changes AS c ON c.opportunity_id = o.id
LEFT JOIN stg_accounts AS a ON a.id = o.account_id
LEFT JOIN stg_leads AS l ON l.id = o.lead_id
LEFT JOIN stg_users AS u ON u.id = o.owner_id
LEFT JOIN stg_teams AS tm ON tm.id = u.team_id
LEFT JOIN stg_territories AS tr ON tr.id = o.territory_id
