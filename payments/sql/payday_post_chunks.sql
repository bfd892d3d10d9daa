-- Donor id ranges of about %(size)s snapshotted donors each, for posting. Returns each range's
-- first id.
SELECT min(donor_id) FROM (
    SELECT donor_id, (row_number() OVER (ORDER BY donor_id) - 1) / %(size)s AS bucket
    FROM payments_paydaydonor
    WHERE payday_id = %(payday_id)s
) numbered
GROUP BY bucket
ORDER BY 1
