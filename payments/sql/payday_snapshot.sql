-- Follows payday_split.sql: record each donor's snapshot and their shares in one statement, so
-- both come from the same reading of balances and flattrs. A donor already recorded for this
-- payday (a rerun) is skipped whole: their shares are only written together with their row.
-- Extra parameter: %(payday_id)s.
, ins_donors AS (
    INSERT INTO payments_paydaydonor (
        payday_id, month, donor_id, funds_id, earnings_id, flattrs, budget_cents, funds_cents,
        earnings_cents, taken_cents, from_funds_cents, from_earnings_cents, fee_cents,
        charity_cents)
    SELECT %(payday_id)s, %(month)s, d.donor_id, d.funds_id, d.earnings_id, d.n, d.budget,
           d.funds, d.earnings, d.taken, d.from_funds, d.from_earnings, d.fee, d.charity
    FROM donors d
    ON CONFLICT (payday_id, donor_id) DO NOTHING
    RETURNING donor_id
),
ins_shares AS (
    INSERT INTO payments_share (payday_id, month, flattr_id, donor_id, thing_id, payee_id, amount,
                                state)
    SELECT %(payday_id)s, %(month)s, s.flattr_id, s.donor_id, s.thing_id, s.payee_id, s.amount,
           CASE WHEN s.payee_kind = 'pool' THEN 'held' ELSE 'paid' END
    FROM shares s
    WHERE s.donor_id IN (SELECT donor_id FROM ins_donors)
    ON CONFLICT (flattr_id) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM ins_donors), (SELECT count(*) FROM ins_shares)
