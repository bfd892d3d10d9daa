-- Donor id ranges of about %(size)s candidates each, for the snapshot stage: donors with flattrs
-- that month and donors who give an unused budget to charity. Returns each range's first id.
WITH ids AS (
    SELECT DISTINCT donor_id AS id FROM flattr_flattr WHERE month = %(month)s
    UNION
    SELECT user_id FROM payments_budget WHERE unused_to_charity AND monthly_cents > 0
)
SELECT min(id) FROM (
    SELECT id, (row_number() OVER (ORDER BY id) - 1) / %(size)s AS bucket FROM ids
) numbered
GROUP BY bucket
ORDER BY 1
