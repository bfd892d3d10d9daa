"""Make the ledger append-only at the database: UPDATE and DELETE of a transfer raise."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION payments_transfer_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'payments_transfer is append-only: % refused; post a reversing transfer',
        TG_OP USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_transfer_no_update_delete
    BEFORE UPDATE OR DELETE ON payments_transfer
    FOR EACH ROW EXECUTE FUNCTION payments_transfer_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS payments_transfer_no_update_delete ON payments_transfer;
DROP FUNCTION IF EXISTS payments_transfer_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
