-- A payday's counters: one pass over the donor snapshots (a donor's share count is its number
-- of live flattrs, which payday_check holds the shares to) and one hashed DISTINCT over the
-- shares for the recipients. Parameters: %(payday_id)s.
SELECT d.donors, d.shares,
       (SELECT count(*) FROM (SELECT DISTINCT payee_id FROM payments_share
                              WHERE payday_id = %(payday_id)s AND amount > 0) p),
       d.total, d.fees, d.charity
FROM (
    SELECT count(*) FILTER (WHERE flattrs > 0) AS donors,
           COALESCE(sum(flattrs), 0)::bigint AS shares,
           COALESCE(sum(taken_cents - fee_cents), 0)::bigint AS total,
           COALESCE(sum(fee_cents), 0)::bigint AS fees,
           COALESCE(sum(charity_cents), 0)::bigint AS charity
    FROM payments_paydaydonor
    WHERE payday_id = %(payday_id)s
) d
