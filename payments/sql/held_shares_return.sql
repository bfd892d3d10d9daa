-- Return held shares to their own donors' funds, in one statement (so it is all or nothing):
-- every held share paid into its pool before %(cutoff)s (NULL: none by age): each share counts
-- from its own payday transfer (a share of 0 cents, which has none, from its payday's start),
-- not from when the payday row started; and the held shares %(share_ids)s (a platform app
-- releasing them early).
--   marked    the shares become 'returned' (settled_at = %(now)s);
--   moved     one transfer per share with money, pool -> donor funds, key 'expiry:<share id>'
--             (ON CONFLICT DO NOTHING: a rerun can never pay a share back twice);
--   (the cached balances move with the inserted transfers: payments_transfer's trigger).
-- Returns one row per returned share: (share id, donor id, pool id, amount in cents).
-- The caller ran held_shares_funds_open.sql and held_shares_lock.sql in the same transaction.
-- Parameters: %(cutoff)s, %(share_ids)s, %(now)s, %(memo)s.
WITH due AS (
    SELECT s.id
    FROM payments_share s
    JOIN payments_payday p ON p.id = s.payday_id
    LEFT JOIN payments_transfer paid  -- the share's own payday transfer (none when 0)
      ON paid.key = 'payday:' || to_char(s.month, 'YYYY-MM') || ':share:' || s.flattr_id
    JOIN payments_ledgeraccount pool ON pool.id = s.payee_id AND pool.kind = 'pool'
    WHERE s.state = 'held'
      -- only once its payday posted: before that the money is not in the pool
      AND p.stage IN ('posted', 'notified', 'done')
      AND (COALESCE(paid.created_at, p.started_at) < %(cutoff)s::timestamptz
           OR s.id = ANY(%(share_ids)s::bigint[]))
),
marked AS (
    UPDATE payments_share s
    SET state = 'returned', settled_at = %(now)s
    FROM due
    WHERE s.id = due.id AND s.state = 'held'
    RETURNING s.id, s.donor_id, s.payee_id, s.amount, s.month
),
moved AS (
    INSERT INTO payments_transfer (debit_id, credit_id, amount, kind, key, created_at, month, memo)
    SELECT m.payee_id, f.id, m.amount, 'expiry', 'expiry:' || m.id, %(now)s, m.month,
           %(memo)s
    FROM marked m
    JOIN payments_ledgeraccount f ON f.user_id = m.donor_id AND f.kind = 'funds'
    WHERE m.amount > 0
    ON CONFLICT (key) DO NOTHING
    RETURNING 1
)
SELECT m.id, m.donor_id, m.payee_id, m.amount FROM marked m ORDER BY m.id
