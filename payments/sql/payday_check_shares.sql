-- Payday's self-check of share references, over the donors in one id range: shares have no
-- foreign-key triggers (see payments.models.Share), so every share is checked against a flattr
-- of its donor and month, a thing and an account. The flattrs are read for the same donors and
-- month only, so both sides of the join are one chunk's rows, whatever the size of the tables.
-- A share's thing and payee may be re-pointed together with its flattr's when the Twitter app
-- binds a handle to an account, so only their existence is checked.
-- Parameters: %(payday_id)s, %(month)s, %(lo)s, %(hi)s.
SELECT 'Share ' || s.id || ' does not match a flattr of its donor, a thing and an account.'
FROM payments_share s
LEFT JOIN flattr_flattr f
  ON f.id = s.flattr_id AND f.donor_id = s.donor_id
  AND f.month = %(month)s AND f.donor_id BETWEEN %(lo)s AND %(hi)s
LEFT JOIN flattr_thing t ON t.id = s.thing_id
LEFT JOIN payments_ledgeraccount p ON p.id = s.payee_id
WHERE s.donor_id BETWEEN %(lo)s AND %(hi)s AND s.month = %(month)s
  AND s.payday_id = %(payday_id)s
  AND (f.id IS NULL OR t.id IS NULL OR p.id IS NULL)
LIMIT 20
