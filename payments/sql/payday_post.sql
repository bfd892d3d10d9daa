-- Post one chunk of donors: every transfer their snapshot and shares call for, each with a
-- deterministic idempotency key, in one statement. The cached balances move by exactly the rows
-- it inserted, in the same statement, through payments_transfer's balance trigger (migration
-- 0010; a balance cannot change any other way). A rerun inserts nothing and so moves nothing.
--
-- One transfer per non-zero share (key payday:<month>:share:<flattr id>), one fee and one
-- charity transfer per donor, and, for a donor spending earnings, one earnings -> funds transfer
-- first, so every share and fee is paid from the funds account.
-- Parameters: %(payday_id)s, %(month)s, %(prefix)s ('payday:YYYY-MM:'), %(lo)s, %(hi)s,
-- %(fees_id)s, %(charity_id)s.
WITH chunk AS (
    SELECT * FROM payments_paydaydonor
    WHERE payday_id = %(payday_id)s AND donor_id BETWEEN %(lo)s AND %(hi)s
),
src (key, kind, debit_id, credit_id, amount) AS (
    SELECT %(prefix)s || 'earnings:' || c.donor_id, 'earnings_spent', c.earnings_id, c.funds_id,
           c.from_earnings_cents
    FROM chunk c WHERE c.from_earnings_cents > 0
    UNION ALL
    SELECT %(prefix)s || 'share:' || s.flattr_id, 'share', c.funds_id, s.payee_id, s.amount
    FROM chunk c
    JOIN payments_share s
      ON s.donor_id = c.donor_id AND s.month = %(month)s AND s.payday_id = %(payday_id)s
    WHERE s.amount > 0
      AND s.donor_id BETWEEN %(lo)s AND %(hi)s  -- lets the planner range-scan (donor, month)
    UNION ALL
    SELECT %(prefix)s || 'fee:' || c.donor_id, 'fee', c.funds_id, %(fees_id)s::bigint, c.fee_cents
    FROM chunk c WHERE c.fee_cents > 0
    UNION ALL
    SELECT %(prefix)s || 'charity:' || c.donor_id, 'charity', c.funds_id, %(charity_id)s::bigint,
           c.charity_cents
    FROM chunk c WHERE c.charity_cents > 0
),
ins AS (
    INSERT INTO payments_transfer (debit_id, credit_id, amount, kind, key, created_at, month,
                                   payday_id, memo)
    SELECT debit_id, credit_id, amount, kind, key, now(), %(month)s, %(payday_id)s, ''
    FROM src
    ON CONFLICT (key) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM ins
