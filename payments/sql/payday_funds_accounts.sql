-- Open a funds account for every donor of the month who has none yet, so each donor's shares
-- and fee are paid from one account (earnings they spend are moved there first).
-- Parameters: %(month)s.
INSERT INTO payments_ledgeraccount (kind, user_id, label, balance, created_at)
SELECT 'funds', d.donor_id, '', 0, now()
FROM (SELECT DISTINCT donor_id FROM flattr_flattr WHERE month = %(month)s) d
WHERE NOT EXISTS (
    SELECT 1 FROM payments_ledgeraccount a WHERE a.user_id = d.donor_id AND a.kind = 'funds'
)
ON CONFLICT (user_id, kind) WHERE user_id IS NOT NULL DO NOTHING
