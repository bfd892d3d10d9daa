"""Sound references for a payments_transfer without per-row foreign keys (see 0007).

Foreign keys to ledger accounts and paydays become one set-based check per INSERT statement
(an AFTER … FOR EACH STATEMENT trigger over the inserted rows) instead of one look-up and row
lock per reference per row at commit, which cost payday more than its inserts. What a foreign
key also guarantees, that a referenced row never goes away, holds because ledger accounts and
paydays can no longer be deleted, nor their ids changed: books are kept, not rewritten.

Ledger accounts leave a fifth of each page free (fillfactor 80), so the balance updates of
transfers and paydays can be HOT updates that touch no index.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION payments_transfer_references() RETURNS trigger AS $$
DECLARE
    missing text;
BEGIN
    SELECT 'ledger account ' || n.id INTO missing
    FROM (SELECT debit_id AS id FROM new_rows UNION SELECT credit_id FROM new_rows) n
    WHERE NOT EXISTS (SELECT 1 FROM payments_ledgeraccount a WHERE a.id = n.id)
    LIMIT 1;
    IF missing IS NULL THEN
        SELECT 'payday ' || n.id INTO missing
        FROM (SELECT DISTINCT payday_id AS id FROM new_rows WHERE payday_id IS NOT NULL) n
        WHERE NOT EXISTS (SELECT 1 FROM payments_payday p WHERE p.id = n.id)
        LIMIT 1;
    END IF;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'payments_transfer refers to %, which does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_transfer_references
    AFTER INSERT ON payments_transfer
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION payments_transfer_references();

CREATE OR REPLACE FUNCTION payments_kept_forever() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE EXCEPTION '% rows are kept forever: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_ledgeraccount_kept
    BEFORE DELETE OR UPDATE OF id ON payments_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION payments_kept_forever();

CREATE TRIGGER payments_payday_kept
    BEFORE DELETE OR UPDATE OF id ON payments_payday
    FOR EACH ROW EXECUTE FUNCTION payments_kept_forever();

ALTER TABLE payments_ledgeraccount SET (fillfactor = 80);
"""

BACKWARD = """
ALTER TABLE payments_ledgeraccount RESET (fillfactor);
DROP TRIGGER IF EXISTS payments_payday_kept ON payments_payday;
DROP TRIGGER IF EXISTS payments_ledgeraccount_kept ON payments_ledgeraccount;
DROP FUNCTION IF EXISTS payments_kept_forever();
DROP TRIGGER IF EXISTS payments_transfer_references ON payments_transfer;
DROP FUNCTION IF EXISTS payments_transfer_references();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0007_lean_indexes")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
