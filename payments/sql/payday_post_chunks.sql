-- Donor id ranges of the snapshotted donors, for posting: at least %(size)s donors each and at
-- most %(chunks)s ranges, as payday_snapshot_chunks.sql. Returns each range's first id.
WITH sized AS (
    SELECT GREATEST(%(size)s, ceil(count(*)::numeric / %(chunks)s))::bigint AS size
    FROM payments_paydaydonor
    WHERE payday_id = %(payday_id)s
)
SELECT min(donor_id) FROM (
    SELECT donor_id, (row_number() OVER (ORDER BY donor_id) - 1) / (SELECT size FROM sized)
           AS bucket
    FROM payments_paydaydonor
    WHERE payday_id = %(payday_id)s
) numbered
GROUP BY bucket
ORDER BY 1
