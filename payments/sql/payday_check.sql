-- Payday's self-check, set-based: every problem as a sentence (none means sound).
-- Shares and donor snapshots have no foreign-key triggers (see payments.models.Share), so their
-- references are checked here, with the sums: each donor's shares add up to what was taken
-- minus the fee, and, once posted, what left each wallet is exactly what the snapshot says.
-- Parameters: %(payday_id)s, %(posted)s (whether to check the transfers too).
(
    -- (A share's thing and payee may be re-pointed together with its flattr's when the
    -- Twitter app binds a handle to an account, so only their existence is checked.)
    SELECT 'Share ' || s.id || ' does not match a flattr of its donor, a thing and an account.'
    FROM payments_share s
    LEFT JOIN flattr_flattr f ON f.id = s.flattr_id
    LEFT JOIN flattr_thing t ON t.id = s.thing_id
    LEFT JOIN payments_ledgeraccount p ON p.id = s.payee_id
    WHERE s.payday_id = %(payday_id)s
      AND (f.id IS NULL OR t.id IS NULL OR p.id IS NULL
           OR f.donor_id <> s.donor_id OR f.month <> s.month)
    LIMIT 20
)
UNION ALL
(
    SELECT 'Donor ' || pd.donor_id || ' is snapshotted with accounts that are not theirs.'
    FROM payments_paydaydonor pd
    LEFT JOIN accounts_user u ON u.id = pd.donor_id
    LEFT JOIN payments_ledgeraccount fa
      ON fa.id = pd.funds_id AND fa.user_id = pd.donor_id AND fa.kind = 'funds'
    LEFT JOIN payments_ledgeraccount ea
      ON ea.id = pd.earnings_id AND ea.user_id = pd.donor_id AND ea.kind = 'earnings'
    WHERE pd.payday_id = %(payday_id)s
      AND (u.id IS NULL OR fa.id IS NULL OR (pd.earnings_id IS NOT NULL AND ea.id IS NULL))
    LIMIT 20
)
UNION ALL
(
    SELECT 'Donor ' || pd.donor_id || '''s shares sum to ' || COALESCE(s.total, 0)
           || ' over ' || COALESCE(s.n, 0) || ' flattrs, not ' || (pd.taken_cents - pd.fee_cents)
           || ' over ' || pd.flattrs || '.'
    FROM payments_paydaydonor pd
    LEFT JOIN (
        SELECT donor_id, sum(amount) AS total, count(*) AS n
        FROM payments_share WHERE payday_id = %(payday_id)s GROUP BY donor_id
    ) s ON s.donor_id = pd.donor_id
    WHERE pd.payday_id = %(payday_id)s
      AND (COALESCE(s.total, 0) <> pd.taken_cents - pd.fee_cents OR COALESCE(s.n, 0) <> pd.flattrs)
    LIMIT 20
)
UNION ALL
(
    SELECT 'Donor ' || pd.donor_id || ': ' || COALESCE(t.spent, 0) || ' left their funds and '
           || COALESCE(e.moved, 0) || ' their earnings, not ' || (pd.taken_cents + pd.charity_cents)
           || ' and ' || pd.from_earnings_cents || '.'
    FROM payments_paydaydonor pd
    LEFT JOIN (
        SELECT debit_id, sum(amount) AS spent
        FROM payments_transfer
        WHERE payday_id = %(payday_id)s AND kind IN ('share', 'fee', 'charity')
        GROUP BY debit_id
    ) t ON t.debit_id = pd.funds_id
    LEFT JOIN (
        SELECT debit_id, sum(amount) AS moved
        FROM payments_transfer
        WHERE payday_id = %(payday_id)s AND kind = 'earnings_spent'
        GROUP BY debit_id
    ) e ON e.debit_id = pd.earnings_id
    WHERE %(posted)s
      AND pd.payday_id = %(payday_id)s
      AND (COALESCE(t.spent, 0) <> pd.taken_cents + pd.charity_cents
           OR COALESCE(e.moved, 0) <> pd.from_earnings_cents)
    LIMIT 20
)
UNION ALL
(
    SELECT 'Payday posted ' || posted || ' share transfers for ' || owed || ' non-zero shares.'
    FROM (
        SELECT (SELECT count(*) FROM payments_transfer
                WHERE payday_id = %(payday_id)s AND kind = 'share') AS posted,
               (SELECT count(*) FROM payments_share
                WHERE payday_id = %(payday_id)s AND amount > 0) AS owed
    ) c
    WHERE %(posted)s AND posted <> owed
)
