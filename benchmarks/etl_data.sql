-- Synthetic 1M-lead data for benchmarks/etl_refresh.py (used when `python -m crm seed-demo` is absent).
-- :leads is substituted by the script. Deterministic (setseed), plain SQL, a few seconds to load.
SET session_replication_role = replica;  -- skip triggers: bulk load keeps the generated timestamps
SELECT setseed(0.42);
INSERT INTO territories (id, name, region, priority)
SELECT gen_random_uuid(), 'Territory ' || g, (ARRAY['emea', 'amer', 'apac'])[1 + g % 3], g FROM generate_series(1, 12) g;
INSERT INTO teams (id, name) SELECT gen_random_uuid(), 'Team ' || g FROM generate_series(1, 10) g;
INSERT INTO users (id, email, name, role, password_hash, team_id, territory_id)
SELECT gen_random_uuid(), 'rep' || g || '@example.com', 'Rep ' || g, CASE WHEN g <= 10 THEN 'manager' ELSE 'rep' END,
       'x', (SELECT id FROM teams ORDER BY name OFFSET (g % 10) LIMIT 1),
       (SELECT id FROM territories ORDER BY name OFFSET (g % 12) LIMIT 1)
FROM generate_series(1, 120) g;
UPDATE teams t SET manager_id = u.id FROM users u WHERE u.role = 'manager' AND u.team_id = t.id;
CREATE TEMP TABLE rep_ids AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, team_id, territory_id FROM users WHERE role = 'rep';
INSERT INTO accounts (id, name, industry, employee_count, country)
SELECT gen_random_uuid(), 'Account ' || g, (ARRAY['technology', 'finance', 'retail', 'health'])[1 + g % 4], 10 + g % 5000, 'US'
FROM generate_series(1, 50000) g;
CREATE TEMP TABLE account_ids AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM accounts;
INSERT INTO leads (id, external_id, first_name, last_name, email, company, title, industry, employee_count,
                   annual_revenue, country, source, status, engagement_score, score, owner_id, territory_id,
                   created_at, updated_at)
SELECT gen_random_uuid(), 'L' || g, 'First' || (g % 997), 'Last' || (g % 1013), 'lead' || g || '@example.com',
       'Company ' || (g % 50000), 'Title ' || (g % 40), (ARRAY['technology', 'finance', 'retail', 'health'])[1 + g % 4],
       g % 5000, (g % 100000) * 1000.00, 'US', (ARRAY['web', 'referral', 'event', 'partner'])[1 + g % 4],
       (ARRAY['new', 'contacted', 'qualified', 'unqualified'])[1 + g % 4], g % 101, (g % 10001) / 100.0,
       r.id, r.territory_id, ts, ts
FROM (SELECT g, timestamptz '2022-01-01' + (g::float / :leads) * interval '1430 days' AS ts FROM generate_series(1, :leads) g) s
JOIN rep_ids r ON r.n = s.g % 110;
-- every fourth lead becomes an opportunity
INSERT INTO opportunities (id, name, account_id, lead_id, owner_id, territory_id, stage, amount, currency,
                           expected_close_date, closed_at, lost_reason, created_at, updated_at)
SELECT gen_random_uuid(), 'Deal ' || l.external_id, a.id, l.id, l.owner_id, l.territory_id,
       st.stage, 1000 + (hashtext(l.external_id) & 65535), 'USD', (l.created_at + interval '90 days')::date,
       CASE WHEN st.stage IN ('closed_won', 'closed_lost') THEN l.created_at + interval '60 days' END,
       CASE WHEN st.stage = 'closed_lost' THEN 'price' END,
       l.created_at + interval '1 day', l.created_at + interval '60 days'
FROM leads l
JOIN account_ids a ON a.n = (hashtext(l.email) & 65535) % 50000
CROSS JOIN LATERAL (SELECT (ARRAY['prospecting', 'discovery', 'proposal', 'negotiation', 'closed_won', 'closed_lost',
                                   'closed_lost', 'closed_won'])[1 + (hashtext(l.external_id) & 7)] AS stage) st
WHERE (substr(l.external_id, 2)::int) % 4 = 0;
UPDATE leads l SET status = 'converted', converted_at = o.created_at, converted_opportunity_id = o.id, account_id = o.account_id
FROM opportunities o WHERE o.lead_id = l.id;
-- four history rows per opportunity: created, moved on, amount change, final stage
INSERT INTO opportunity_stage_history (opportunity_id, from_stage, to_stage, amount, expected_close_date, changed_at,
                                       changed_by_id, created_at, updated_at)
SELECT o.id, h.from_stage, h.to_stage, o.amount - (3 - h.k) * 100, o.expected_close_date - (3 - h.k) * 7, o.created_at + h.k * interval '15 days',
       o.owner_id, o.created_at + h.k * interval '15 days', o.created_at + h.k * interval '15 days'
FROM opportunities o
CROSS JOIN LATERAL (VALUES (0, NULL, 'prospecting'), (1, 'prospecting', 'discovery'), (2, 'discovery', 'discovery'),
                           (3, 'discovery', o.stage)) h(k, from_stage, to_stage);
INSERT INTO quotas (user_id, period_start, amount)
SELECT r.id, q::date, 100000 FROM rep_ids r CROSS JOIN generate_series(date '2022-01-01', date '2026-10-01', interval '3 months') q;
SET session_replication_role = DEFAULT;
ANALYZE;
