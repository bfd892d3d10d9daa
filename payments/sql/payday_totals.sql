-- A payday's counters, from its snapshot and share rows. Parameters: %(payday_id)s.
SELECT
    (SELECT count(*) FROM payments_paydaydonor WHERE payday_id = %(payday_id)s AND flattrs > 0),
    (SELECT count(*) FROM payments_share WHERE payday_id = %(payday_id)s),
    (SELECT count(DISTINCT payee_id) FROM payments_share
     WHERE payday_id = %(payday_id)s AND amount > 0),
    (SELECT COALESCE(sum(taken_cents - fee_cents), 0)::bigint FROM payments_paydaydonor
     WHERE payday_id = %(payday_id)s),
    (SELECT COALESCE(sum(fee_cents), 0)::bigint FROM payments_paydaydonor
     WHERE payday_id = %(payday_id)s),
    (SELECT COALESCE(sum(charity_cents), 0)::bigint FROM payments_paydaydonor
     WHERE payday_id = %(payday_id)s)
