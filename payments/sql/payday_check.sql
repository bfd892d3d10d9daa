-- Payday's self-check over the donors in one id range, set-based: every problem as a sentence
-- (none means sound). Donor snapshots have no foreign-key triggers (see payments.models.Share),
-- so their accounts are checked here, with the sums: each donor's shares add up to what was
-- taken minus the fee, and, once posted, what left each wallet is exactly what the snapshot
-- says, in one share transfer per non-zero share. Run chunk by chunk as chunks are posted (the
-- whole payday is the range 0 .. max), with per-donor index look-ups, so a chunk's check costs
-- about the same wherever it lies. payday_check_shares.sql checks the shares' references.
-- Parameters: %(payday_id)s, %(month)s, %(lo)s, %(hi)s, %(posted)s (whether to check the
-- transfers too).
(
    SELECT 'Donor ' || pd.donor_id || ' is snapshotted with accounts that are not theirs.'
    FROM payments_paydaydonor pd
    LEFT JOIN accounts_user u ON u.id = pd.donor_id
    LEFT JOIN payments_ledgeraccount fa
      ON fa.id = pd.funds_id AND fa.user_id = pd.donor_id AND fa.kind = 'funds'
    LEFT JOIN payments_ledgeraccount ea
      ON ea.id = pd.earnings_id AND ea.user_id = pd.donor_id AND ea.kind = 'earnings'
    WHERE pd.payday_id = %(payday_id)s AND pd.donor_id BETWEEN %(lo)s AND %(hi)s
      AND (u.id IS NULL OR fa.id IS NULL OR (pd.earnings_id IS NOT NULL AND ea.id IS NULL))
    LIMIT 20
)
UNION ALL
(
    WITH given AS (
        SELECT donor_id, sum(amount) AS total, count(*) AS n,
               count(*) FILTER (WHERE amount > 0) AS owed
        FROM payments_share
        WHERE donor_id BETWEEN %(lo)s AND %(hi)s AND month = %(month)s
          AND payday_id = %(payday_id)s
        GROUP BY donor_id
    ),
    donors AS (
        SELECT pd.*, COALESCE(g.total, 0) AS total, COALESCE(g.n, 0) AS n,
               COALESCE(g.owed, 0) AS owed
        FROM payments_paydaydonor pd
        LEFT JOIN given g ON g.donor_id = pd.donor_id
        WHERE pd.payday_id = %(payday_id)s AND pd.donor_id BETWEEN %(lo)s AND %(hi)s
    )
    SELECT problem FROM (
        SELECT 'Donor ' || d.donor_id || '''s shares sum to ' || d.total || ' over ' || d.n
               || ' flattrs, not ' || (d.taken_cents - d.fee_cents) || ' over ' || d.flattrs
               || '.' AS problem
        FROM donors d
        WHERE d.total <> d.taken_cents - d.fee_cents OR d.n <> d.flattrs
        UNION ALL
        SELECT 'Donor ' || d.donor_id || ': ' || COALESCE(t.spent, 0) || ' left their funds and '
               || COALESCE(e.moved, 0) || ' their earnings, not '
               || (d.taken_cents + d.charity_cents) || ' and ' || d.from_earnings_cents
               || ', in ' || COALESCE(t.shares, 0) || ' share transfers for ' || d.owed
               || ' non-zero shares.'
        FROM donors d
        LEFT JOIN LATERAL (
            SELECT sum(amount) FILTER (WHERE kind IN ('share', 'fee', 'charity')) AS spent,
                   count(*) FILTER (WHERE kind = 'share') AS shares
            FROM payments_transfer
            WHERE debit_id = d.funds_id AND payday_id = %(payday_id)s
        ) t ON true
        LEFT JOIN LATERAL (
            SELECT sum(amount) AS moved
            FROM payments_transfer
            WHERE debit_id = d.earnings_id AND payday_id = %(payday_id)s
              AND kind = 'earnings_spent'
        ) e ON true
        WHERE %(posted)s
          AND (COALESCE(t.spent, 0) <> d.taken_cents + d.charity_cents
               OR COALESCE(e.moved, 0) <> d.from_earnings_cents
               OR COALESCE(t.shares, 0) <> d.owed)
    ) problems
    LIMIT 20
)
