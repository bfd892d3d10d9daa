-- Open a funds account for every donor of a held share that is due to return and has none yet
-- (payday normally opened it; a donor who paid only from earnings may lack one).
-- Parameters: %(cutoff)s (held shares whose own payday transfer is older are due; NULL: none by
-- age), %(share_ids)s (these held shares are due too), %(now)s.
INSERT INTO payments_ledgeraccount (kind, user_id, label, balance, created_at)
SELECT DISTINCT 'funds', s.donor_id, '', 0, %(now)s
FROM payments_share s
JOIN payments_payday p ON p.id = s.payday_id
LEFT JOIN payments_transfer paid  -- the share's own payday transfer (none when 0)
  ON paid.key = 'payday:' || to_char(s.month, 'YYYY-MM') || ':share:' || s.flattr_id
WHERE s.state = 'held'
  -- only once its payday posted: before that the money is not in the pool
  AND p.stage IN ('posted', 'notified', 'done')
  AND (COALESCE(paid.created_at, p.started_at) < %(cutoff)s::timestamptz
       OR s.id = ANY(%(share_ids)s::bigint[]))
ON CONFLICT (user_id, kind) WHERE user_id IS NOT NULL DO NOTHING
