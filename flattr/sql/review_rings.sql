-- Mutual-flattr rings of one month: A flattred something paying B and B something paying A,
-- and neither flattred more than %(max_others)s other recipients. One row per pair (a < b):
-- (a username, b username, a's recipients, b's recipients). Parameters: %(month)s,
-- %(max_others)s, %(limit)s.
WITH edges AS (
    SELECT DISTINCT f.donor_id AS a, p.user_id AS b
    FROM flattr_flattr f
    JOIN flattr_thing t ON t.id = f.thing_id
    JOIN payments_ledgeraccount p ON p.id = t.payee_id
    WHERE f.month = %(month)s AND p.user_id IS NOT NULL AND p.user_id <> f.donor_id
),
outdegree AS (
    SELECT a, count(*) AS n FROM edges GROUP BY a
)
SELECT ua.username, ub.username, oa.n, ob.n
FROM edges e
JOIN edges r ON r.a = e.b AND r.b = e.a
JOIN outdegree oa ON oa.a = e.a
JOIN outdegree ob ON ob.a = e.b
JOIN accounts_user ua ON ua.id = e.a
JOIN accounts_user ub ON ub.id = e.b
WHERE e.a < e.b AND oa.n <= 1 + %(max_others)s AND ob.n <= 1 + %(max_others)s
ORDER BY ua.username, ub.username
LIMIT %(limit)s
