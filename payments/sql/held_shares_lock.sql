-- Lock every pool and funds account this return touches, in id order (the order
-- payments.services.transfer_post and accounts_lock use), so a concurrent claim or transfer
-- waits instead of deadlocking, and the shares read next cannot change under us.
-- Parameters: as held_shares_funds_open.sql.
SELECT a.id
FROM payments_ledgeraccount a
WHERE a.id IN (
    SELECT s.payee_id
    FROM payments_share s
    JOIN payments_payday p ON p.id = s.payday_id
    LEFT JOIN payments_transfer paid  -- the share's own payday transfer (none when 0)
      ON paid.key = 'payday:' || to_char(s.month, 'YYYY-MM') || ':share:' || s.flattr_id
    WHERE s.state = 'held'
      -- only once its payday posted: before that the money is not in the pool
      AND p.stage IN ('posted', 'notified', 'done')
      AND (COALESCE(paid.created_at, p.started_at) < %(cutoff)s::timestamptz
           OR s.id = ANY(%(share_ids)s::bigint[]))
    UNION
    SELECT f.id
    FROM payments_share s
    JOIN payments_payday p ON p.id = s.payday_id
    LEFT JOIN payments_transfer paid  -- the share's own payday transfer (none when 0)
      ON paid.key = 'payday:' || to_char(s.month, 'YYYY-MM') || ':share:' || s.flattr_id
    JOIN payments_ledgeraccount f ON f.user_id = s.donor_id AND f.kind = 'funds'
    WHERE s.state = 'held'
      -- only once its payday posted: before that the money is not in the pool
      AND p.stage IN ('posted', 'notified', 'done')
      AND (COALESCE(paid.created_at, p.started_at) < %(cutoff)s::timestamptz
           OR s.id = ANY(%(share_ids)s::bigint[]))
)
ORDER BY a.id
FOR UPDATE
