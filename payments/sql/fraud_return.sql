-- Give every donor back exactly what they paid one recipient, share by share, in one statement
-- (so it is all or nothing). The recipient's shares are those paid into their earnings and
-- those held for a platform account they claimed (the claim transfer moved that pool into
-- their earnings, so the shares' payee is the pool):
--   marked    the shares become 'returned' (settled_at = %(now)s), so a second run finds none;
--   moved     one transfer per share with money, recipient earnings -> donor funds, key
--             'fraud_return:<share id>' (ON CONFLICT DO NOTHING: never returned twice);
--   (the cached balances move with the inserted transfers: payments_transfer's trigger).
-- Returns one row per donor: (donor id, shares, cents returned).
-- The caller ran fraud_return_lock.sql in the same transaction and checked that the earnings
-- cover the total (the balance constraint would refuse it anyway).
-- Parameters: %(earnings_id)s, %(now)s, %(memo)s.
WITH pools AS (
    SELECT t.debit_id AS pool_id
    FROM payments_transfer t
    WHERE t.kind = 'claim' AND t.credit_id = %(earnings_id)s
),
due AS (
    SELECT s.id
    FROM payments_share s
    WHERE (s.payee_id = %(earnings_id)s AND s.state = 'paid')
       OR (s.state = 'claimed' AND s.payee_id IN (SELECT pool_id FROM pools))
),
marked AS (
    UPDATE payments_share s
    SET state = 'returned', settled_at = %(now)s
    FROM due
    WHERE s.id = due.id AND s.state IN ('paid', 'claimed')
    RETURNING s.id, s.donor_id, s.amount, s.month
),
moved AS (
    INSERT INTO payments_transfer (debit_id, credit_id, amount, kind, key, created_at, month, memo)
    SELECT %(earnings_id)s, f.id, m.amount, 'adjustment', 'fraud_return:' || m.id, %(now)s,
           m.month, %(memo)s
    FROM marked m
    JOIN payments_ledgeraccount f ON f.user_id = m.donor_id AND f.kind = 'funds'
    WHERE m.amount > 0
    ON CONFLICT (key) DO NOTHING
    RETURNING 1
)
SELECT m.donor_id, count(*), COALESCE(sum(m.amount), 0)::bigint
FROM marked m
GROUP BY m.donor_id
ORDER BY m.donor_id
