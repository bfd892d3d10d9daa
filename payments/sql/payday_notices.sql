-- Record one notice per user whose earnings crossed the threshold in this payday
-- (before < threshold <= after), where before = now - what this payday's transfers moved on
-- that account. Users who turned email notifications off, or have no address, get none.
-- A rerun adds nothing (unique per payday and user).
-- Parameters: %(payday_id)s, %(threshold)s.
WITH moved AS (
    -- Payday moves earnings in two ways only: a share credits the payee's earnings (or a pool),
    -- and a donor spending earnings moves them out to funds (earnings_spent). The first is one
    -- pass over the payday's share transfers, grouped by a plain column (PostgreSQL can do it
    -- in parallel); the second is looked up per spending donor by the (debit, payday) index.
    SELECT account_id, sum(delta)::bigint AS delta
    FROM (
        SELECT credit_id AS account_id, sum(amount) AS delta
        FROM payments_transfer
        WHERE payday_id = %(payday_id)s AND kind = 'share'
        GROUP BY credit_id
        UNION ALL
        SELECT pd.earnings_id,
               -(SELECT COALESCE(sum(t.amount), 0) FROM payments_transfer t
                 WHERE t.debit_id = pd.earnings_id AND t.payday_id = %(payday_id)s
                   AND t.kind = 'earnings_spent')
        FROM payments_paydaydonor pd
        WHERE pd.payday_id = %(payday_id)s AND pd.from_earnings_cents > 0
    ) legs
    GROUP BY account_id
)
INSERT INTO payments_paydaynotice (payday_id, user_id, before_cents, after_cents, created_at)
SELECT %(payday_id)s, a.user_id, a.balance - m.delta, a.balance, now()
FROM moved m
JOIN payments_ledgeraccount a ON a.id = m.account_id AND a.kind = 'earnings'
JOIN accounts_user u ON u.id = a.user_id
WHERE a.balance - m.delta < %(threshold)s
  AND a.balance >= %(threshold)s
  AND u.email_notifications
  AND u.is_active
  AND u.email <> ''
ON CONFLICT (payday_id, user_id) DO NOTHING
RETURNING id
