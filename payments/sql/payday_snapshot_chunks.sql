-- Donor id ranges for the snapshot stage, over the candidates: donors with flattrs that month
-- and donors who give an unused budget to charity. Each range holds at least %(size)s donors and
-- there are at most %(chunks)s full ranges (so every chunk's statements grow with the payday,
-- but the number of chunks, and with it how often each payee's balance is updated, does not).
-- When there is more than one, the first range is a quarter of the others: in the pipeline,
-- posting waits for the first split, so a short first one starts it sooner.
-- Returns each range's first id.
WITH ids AS (
    SELECT DISTINCT donor_id AS id FROM flattr_flattr WHERE month = %(month)s
    UNION
    SELECT user_id FROM payments_budget WHERE unused_to_charity AND monthly_cents > 0
),
sized AS (
    SELECT s.size, CASE WHEN s.n > s.size THEN s.size / 4 ELSE 0 END AS first
    FROM (SELECT count(*) AS n,
                 GREATEST(%(size)s, ceil(count(*)::numeric / %(chunks)s))::bigint AS size
          FROM ids) s
),
numbered AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM ids
)
SELECT min(n.id)
FROM numbered n CROSS JOIN sized z
GROUP BY CASE WHEN n.rn < z.first THEN -1 ELSE (n.rn - z.first) / z.size END
ORDER BY 1
