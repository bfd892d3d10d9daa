-- Donors of one posting chunk whose wallet no longer covers their snapshot (a refund, dispute
-- or payout landed between the snapshot and posting) and who have nothing posted yet. Run under
-- the chunk's account locks; payday re-splits these donors from their balances now.
-- The balance test runs first (MATERIALIZED): it is almost always empty, and only its few rows
-- need the look-up of posted transfers (by debit account, indexed).
-- Parameters: %(payday_id)s, %(lo)s, %(hi)s.
WITH short AS MATERIALIZED (
    SELECT pd.donor_id, pd.funds_id, pd.earnings_id
    FROM payments_paydaydonor pd
    JOIN payments_ledgeraccount fa ON fa.id = pd.funds_id
    LEFT JOIN payments_ledgeraccount ea ON ea.id = pd.earnings_id
    WHERE pd.payday_id = %(payday_id)s
      AND pd.donor_id BETWEEN %(lo)s AND %(hi)s
      AND (fa.balance < pd.from_funds_cents + pd.charity_cents
           OR COALESCE(ea.balance, 0) < pd.from_earnings_cents)
)
SELECT s.donor_id
FROM short s
WHERE NOT EXISTS (
    SELECT 1 FROM payments_transfer t
    WHERE t.debit_id = s.funds_id AND t.payday_id = %(payday_id)s
)
  AND NOT EXISTS (
    SELECT 1 FROM payments_transfer t
    WHERE t.debit_id = s.earnings_id AND t.payday_id = %(payday_id)s
)
ORDER BY s.donor_id
