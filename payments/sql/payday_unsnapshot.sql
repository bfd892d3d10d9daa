-- Forget the snapshot and shares of donors about to be re-split (nothing of theirs is posted).
-- Parameters: %(payday_id)s, %(donors)s.
WITH gone AS (
    DELETE FROM payments_share
    WHERE payday_id = %(payday_id)s AND donor_id = ANY(%(donors)s::bigint[])
    RETURNING 1
)
DELETE FROM payments_paydaydonor
WHERE payday_id = %(payday_id)s AND donor_id = ANY(%(donors)s::bigint[])
