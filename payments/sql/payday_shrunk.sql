-- Donors of one posting chunk whose wallet no longer covers their snapshot (a refund, dispute
-- or payout landed between the snapshot and posting) and who have nothing posted yet. Run under
-- the chunk's account locks; payday re-splits these donors from their balances now.
-- Parameters: %(payday_id)s, %(lo)s, %(hi)s.
SELECT pd.donor_id
FROM payments_paydaydonor pd
JOIN payments_ledgeraccount fa ON fa.id = pd.funds_id
LEFT JOIN payments_ledgeraccount ea ON ea.id = pd.earnings_id
WHERE pd.payday_id = %(payday_id)s
  AND pd.donor_id BETWEEN %(lo)s AND %(hi)s
  AND (fa.balance < pd.from_funds_cents + pd.charity_cents
       OR COALESCE(ea.balance, 0) < pd.from_earnings_cents)
  AND NOT EXISTS (
      SELECT 1 FROM payments_transfer t
      WHERE t.payday_id = %(payday_id)s AND t.debit_id IN (pd.funds_id, pd.earnings_id)
  )
ORDER BY pd.donor_id
