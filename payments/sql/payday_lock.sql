-- Lock, in id order, every account one posting chunk touches: its donors' funds and earnings,
-- the payees of their shares, fees and charity. transfer_post locks in id order too, so payday
-- and a concurrent deposit, payout or claim wait for each other and never deadlock.
-- Parameters: %(payday_id)s, %(month)s, %(lo)s, %(hi)s, %(fees_id)s, %(charity_id)s.
SELECT a.id
FROM payments_ledgeraccount a
WHERE a.id IN (
    SELECT pd.funds_id FROM payments_paydaydonor pd
    WHERE pd.payday_id = %(payday_id)s AND pd.donor_id BETWEEN %(lo)s AND %(hi)s
    UNION
    SELECT pd.earnings_id FROM payments_paydaydonor pd
    WHERE pd.payday_id = %(payday_id)s AND pd.donor_id BETWEEN %(lo)s AND %(hi)s
      AND pd.from_earnings_cents > 0
    UNION
    SELECT s.payee_id FROM payments_share s
    WHERE s.month = %(month)s AND s.payday_id = %(payday_id)s
      AND s.donor_id BETWEEN %(lo)s AND %(hi)s AND s.amount > 0
    UNION
    SELECT unnest(ARRAY[%(fees_id)s, %(charity_id)s]::bigint[])
)
ORDER BY a.id
FOR NO KEY UPDATE OF a
