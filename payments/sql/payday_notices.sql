-- Record one notice per user whose earnings crossed the threshold in this payday
-- (before < threshold <= after), where before = now - what this payday's transfers moved on
-- that account. Users who turned email notifications off, or have no address, get none.
-- A rerun adds nothing (unique per payday and user).
-- Parameters: %(payday_id)s, %(threshold)s.
WITH moved AS (
    SELECT account_id, sum(delta)::bigint AS delta
    FROM (SELECT credit_id AS account_id, amount AS delta FROM payments_transfer
          WHERE payday_id = %(payday_id)s
          UNION ALL
          SELECT debit_id, -amount FROM payments_transfer
          WHERE payday_id = %(payday_id)s) legs
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
