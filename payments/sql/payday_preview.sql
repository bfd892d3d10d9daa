-- Follows payday_split.sql: what a payday would do, computed without writing anything.
SELECT
    (SELECT count(*) FROM donors WHERE n > 0) AS donors,
    (SELECT count(*) FROM shares) AS shares,
    (SELECT count(DISTINCT payee_id) FROM shares WHERE amount > 0) AS recipients,
    (SELECT COALESCE(sum(distributable), 0)::bigint FROM donors) AS total_cents,
    (SELECT COALESCE(sum(fee), 0)::bigint FROM donors) AS fees_cents,
    (SELECT COALESCE(sum(charity), 0)::bigint FROM donors) AS charity_cents
