-- Create one flattr per running subscription for %(month)s, set-based and idempotent.
-- Skipped: cancelled or finished subscriptions, closed or banned things, the donor's own things,
-- frozen accounts (a negative receivable) and donors whose budget is below the minimum.
-- The unique constraint (donor, thing, month) makes a rerun, or a donor's own click, a no-op.
INSERT INTO flattr_flattr (donor_id, thing_id, month, source, created_at)
SELECT s.donor_id, s.thing_id, %(month)s, 'subscription', %(now)s
FROM flattr_subscription s
JOIN flattr_thing t ON t.id = s.thing_id
JOIN payments_budget b ON b.user_id = s.donor_id
WHERE s.cancelled_at IS NULL
  AND s.first_month <= %(month)s
  AND s.last_month >= %(month)s
  AND NOT t.closed
  AND NOT t.banned
  AND t.owner_id IS DISTINCT FROM s.donor_id
  AND NOT EXISTS (
      SELECT 1 FROM payments_ledgeraccount p WHERE p.id = t.payee_id AND p.user_id = s.donor_id
  )
  AND b.monthly_cents >= %(min_budget)s
  AND NOT EXISTS (
      SELECT 1 FROM payments_ledgeraccount r
      WHERE r.user_id = s.donor_id AND r.kind = 'receivable' AND r.balance < 0
  )
ORDER BY s.id
ON CONFLICT (donor_id, thing_id, month) DO NOTHING
RETURNING thing_id;
