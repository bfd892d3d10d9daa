-- Lock the recipient's earnings and the funds account of every donor whose shares it received,
-- in id order (the order payments.services.transfer_post uses), so a concurrent transfer waits
-- instead of deadlocking and the shares read next cannot be paid out or returned under us.
-- Parameters: %(earnings_id)s (the recipient's earnings account).
SELECT a.id, a.balance
FROM payments_ledgeraccount a
WHERE a.id = %(earnings_id)s
   OR a.id IN (
    SELECT f.id
    FROM payments_share s
    JOIN payments_ledgeraccount f ON f.user_id = s.donor_id AND f.kind = 'funds'
    WHERE s.amount > 0
      AND ((s.payee_id = %(earnings_id)s AND s.state = 'paid')
           OR (s.state = 'claimed' AND s.payee_id IN (
                 SELECT t.debit_id FROM payments_transfer t
                 WHERE t.kind = 'claim' AND t.credit_id = %(earnings_id)s)))
)
ORDER BY a.id
FOR UPDATE
