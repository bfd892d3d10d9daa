-- Recipients who joined in the month and were flattred that month by at least %(minimum)s
-- donors who also joined in it: (recipient username, new donors, all donors).
-- Parameters: %(month)s, %(month_start)s, %(minimum)s, %(limit)s.
SELECT r.username,
       count(DISTINCT f.donor_id) FILTER (WHERE d.date_joined >= %(month_start)s) AS new_donors,
       count(DISTINCT f.donor_id) AS donors
FROM flattr_flattr f
JOIN flattr_thing t ON t.id = f.thing_id
JOIN payments_ledgeraccount p ON p.id = t.payee_id
JOIN accounts_user r ON r.id = p.user_id
JOIN accounts_user d ON d.id = f.donor_id
WHERE f.month = %(month)s AND r.date_joined >= %(month_start)s AND d.id <> r.id
GROUP BY r.username
HAVING count(DISTINCT f.donor_id) FILTER (WHERE d.date_joined >= %(month_start)s) >= %(minimum)s
ORDER BY new_donors DESC, r.username
LIMIT %(limit)s
