-- What a fraud return would give back: the recipient's shares not yet returned (see
-- fraud_return.sql for which shares those are). Parameters: %(earnings_id)s.
-- Returns (donors, shares, cents).
SELECT count(DISTINCT s.donor_id), count(*), COALESCE(sum(s.amount), 0)::bigint
FROM payments_share s
WHERE s.amount > 0
  AND ((s.payee_id = %(earnings_id)s AND s.state = 'paid')
       OR (s.state = 'claimed' AND s.payee_id IN (
             SELECT t.debit_id FROM payments_transfer t
             WHERE t.kind = 'claim' AND t.credit_id = %(earnings_id)s)))
