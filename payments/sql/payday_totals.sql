-- A payday's counters: one pass over the donor snapshots (a donor's share count is its number
-- of live flattrs, which payday_check holds the shares to) and one over the payday's share
-- transfers, which gives the recipients and what the shares moved in all: payday compares it to
-- what the snapshots distribute, which no per-donor check can see (a stray share transfer from
-- an account that is no donor's). Parameters: %(payday_id)s.
SELECT d.donors, d.shares, t.recipients, d.total, d.fees, d.charity, t.moved
FROM (
    SELECT count(*) FILTER (WHERE flattrs > 0) AS donors,
           COALESCE(sum(flattrs), 0)::bigint AS shares,
           COALESCE(sum(taken_cents - fee_cents), 0)::bigint AS total,
           COALESCE(sum(fee_cents), 0)::bigint AS fees,
           COALESCE(sum(charity_cents), 0)::bigint AS charity
    FROM payments_paydaydonor
    WHERE payday_id = %(payday_id)s
) d
CROSS JOIN (
    SELECT count(*) AS recipients, COALESCE(sum(moved), 0)::bigint AS moved
    FROM (SELECT credit_id, sum(amount) AS moved
          FROM payments_transfer
          WHERE payday_id = %(payday_id)s AND kind = 'share'
          GROUP BY credit_id) per_payee
) t
