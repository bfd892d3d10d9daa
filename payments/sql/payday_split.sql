-- The monthly split as one set-based pass: the SQL twin of payments.split.split_budget.
--
-- This file is the common head (a WITH chain) of payday_snapshot.sql and payday_preview.sql,
-- which append their own final statement. Parameters:
--   %(month)s    first day of the month being split
--   %(fee_bps)s  the fee in basis points (settings.FEE_BPS)
--   %(lo)s %(hi)s  the donor id range of this chunk (inclusive)
--   %(donors)s   NULL, or an array of donor ids to limit the pass to (a re-split)
--   %(payday_id)s  the payday being split (NULL for a preview of a month not started)
--
-- For each donor with n > 0 live flattrs: b = min(budget, funds + earnings if opted in),
-- fee = b * fee_bps / 10000 (integer division), d = b - fee; each flattr gets d / n and the first
-- mod(d, n) flattrs by (created_at, id) one cent more. A donor without live flattrs who chose
-- `unused_to_charity` gives min(budget, funds) to charity. A frozen account (a negative
-- receivable) gives nothing. All amounts are integer cents and never negative.
WITH live AS (
    -- Flattrs that count, read through core's view flattr_live_flattr (flattr's migration 0004:
    -- open (not closed), unbanned things, never the donor's own account, no suspended or
    -- fraud-marked donor or recipient).
    SELECT l.flattr_id, l.donor_id, l.thing_id, l.created_at, l.payee_id,
           p.kind AS payee_kind
    FROM flattr_live_flattr l
    JOIN payments_ledgeraccount p ON p.id = l.payee_id
    WHERE l.month = %(month)s
      AND l.donor_id BETWEEN %(lo)s AND %(hi)s
      AND (%(donors)s::bigint[] IS NULL OR l.donor_id = ANY(%(donors)s::bigint[]))
),
counts AS (
    SELECT donor_id, count(*) AS n FROM live GROUP BY donor_id
),
candidates AS (
    SELECT donor_id, n FROM counts
    UNION ALL
    SELECT b.user_id, 0
    FROM payments_budget b
    WHERE b.unused_to_charity
      AND b.monthly_cents > 0
      AND b.user_id BETWEEN %(lo)s AND %(hi)s
      AND (%(donors)s::bigint[] IS NULL OR b.user_id = ANY(%(donors)s::bigint[]))
      AND NOT EXISTS (SELECT 1 FROM counts c WHERE c.donor_id = b.user_id)
      -- A suspended or fraud-marked account's wallet is frozen: no charity from it either.
      AND NOT EXISTS (SELECT 1 FROM accounts_user u WHERE u.id = b.user_id
                      AND (u.suspended_at IS NOT NULL OR u.mark = 'fraud'))
),
wallets AS (
    SELECT c.donor_id, c.n,
           COALESCE(b.monthly_cents, 0) AS budget,
           fa.id AS funds_id,
           ea.id AS earnings_id,
           CASE WHEN COALESCE(ra.balance, 0) < 0 THEN 0
                ELSE COALESCE(fa.balance, 0) END AS funds,
           -- Earnings as they stood before this payday: posting may already have credited
           -- (or, for this donor, debited) the account, since chunks are posted while later
           -- chunks are still being split. Looked up only for donors who spend earnings.
           CASE WHEN COALESCE(ra.balance, 0) < 0 OR c.n = 0 OR NOT COALESCE(b.use_earnings, false)
                     OR ea.id IS NULL
                THEN 0
                ELSE ea.balance
                     - COALESCE((SELECT sum(t.amount)::bigint FROM payments_transfer t
                                 WHERE t.credit_id = ea.id
                                   AND t.payday_id = %(payday_id)s::bigint), 0)
                     + COALESCE((SELECT sum(t.amount)::bigint FROM payments_transfer t
                                 WHERE t.debit_id = ea.id
                                   AND t.payday_id = %(payday_id)s::bigint), 0)
                END AS earnings
    FROM candidates c
    LEFT JOIN payments_budget b ON b.user_id = c.donor_id
    LEFT JOIN payments_ledgeraccount fa ON fa.user_id = c.donor_id AND fa.kind = 'funds'
    LEFT JOIN payments_ledgeraccount ea ON ea.user_id = c.donor_id AND ea.kind = 'earnings'
    LEFT JOIN payments_ledgeraccount ra ON ra.user_id = c.donor_id AND ra.kind = 'receivable'
),
takings AS (
    SELECT w.*,
           CASE WHEN w.n > 0 THEN LEAST(w.budget, w.funds + w.earnings) ELSE 0 END AS taken,
           CASE WHEN w.n = 0 THEN LEAST(w.budget, w.funds) ELSE 0 END AS charity
    FROM wallets w
),
donors AS (
    -- Funds first, then earnings (where the donor opted in).
    SELECT t.*,
           LEAST(t.taken, t.funds) AS from_funds,
           t.taken - LEAST(t.taken, t.funds) AS from_earnings,
           t.taken * %(fee_bps)s / 10000 AS fee,
           t.taken - t.taken * %(fee_bps)s / 10000 AS distributable
    FROM takings t
    WHERE t.n > 0 OR t.charity > 0
),
shares AS (
    SELECT l.flattr_id, l.donor_id, l.thing_id, l.payee_id, l.payee_kind,
           d.distributable / d.n
             + CASE WHEN row_number() OVER w <= mod(d.distributable, d.n) THEN 1 ELSE 0 END
             AS amount
    FROM live l
    JOIN donors d ON d.donor_id = l.donor_id
    WINDOW w AS (PARTITION BY l.donor_id ORDER BY l.created_at, l.flattr_id)
)
