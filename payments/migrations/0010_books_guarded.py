"""Books the database itself guards (issue 11).

- TRUNCATE: row triggers do not fire on it, so `TRUNCATE payments_transfer` used to go through.
  A BEFORE TRUNCATE statement trigger on the ledger and share tables refuses it. The only way
  past is `flattr.ledger_truncate = 'allowed'` in the same transaction, which the test suite's
  database flush sets (tests/conftest.py); the site's own role has no TRUNCATE privilege at all
  (bin/db-roles.sql), so for it the setting opens nothing.
- Balances: the cached balance moves only together with the transfer that moves it. An
  AFTER INSERT statement trigger on payments_transfer moves every balance by exactly the rows
  the statement inserted (one set-based UPDATE over the transition table, the same work payday's
  SQL did itself), and a row guard on payments_ledgeraccount refuses any balance change made
  outside that trigger (an account also opens empty). So
  `UPDATE payments_ledgeraccount SET balance = balance + 100000` is refused, and transfer_post,
  payday and every other writer only insert transfers.

The guard recognises the trigger's UPDATE by both its nesting level (pg_trigger_depth() is 1
inside a trigger and 0 in a plain statement; only the table owner can add triggers) and a
transaction-local marker the trigger sets around its UPDATE and clears after; the test is the
guard's WHEN clause, so the trigger's own updates cost no function call.
"""

from django.db import migrations

LEDGER_TABLES = ("payments_transfer", "payments_ledgeraccount", "payments_share")

FORWARD = """
CREATE OR REPLACE FUNCTION payments_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('flattr.ledger_truncate', true) IS DISTINCT FROM 'allowed' THEN
        RAISE EXCEPTION '% is kept forever: TRUNCATE refused', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_no_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION payments_no_truncate();
"""
    for table in LEDGER_TABLES
) + """
CREATE OR REPLACE FUNCTION payments_transfer_balances_move() RETURNS trigger AS $$
BEGIN
    PERFORM set_config('flattr.balances_moving', 'on', true);
    UPDATE payments_ledgeraccount a
    SET balance = a.balance + d.delta
    FROM (
        SELECT account_id, sum(delta)::bigint AS delta
        FROM (SELECT debit_id AS account_id, -amount AS delta FROM new_rows
              UNION ALL
              SELECT credit_id, amount FROM new_rows) legs
        GROUP BY account_id
    ) d
    WHERE a.id = d.account_id AND d.delta <> 0;
    PERFORM set_config('flattr.balances_moving', '', true);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_transfer_balances_move
    AFTER INSERT ON payments_transfer
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION payments_transfer_balances_move();

CREATE OR REPLACE FUNCTION payments_balance_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        RAISE EXCEPTION 'a ledger account opens with balance 0, not %', NEW.balance
            USING ERRCODE = 'check_violation';
    END IF;
    RAISE EXCEPTION 'the balance of ledger account % moves only with a transfer', OLD.id
        USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;

-- The whole test is in WHEN, so a balance moved by the transfer trigger (nesting level 1, the
-- marker set) calls no function at all: payday moves hundreds of thousands of balances.
CREATE TRIGGER payments_ledgeraccount_balance_guard
    BEFORE UPDATE OF balance ON payments_ledgeraccount
    FOR EACH ROW WHEN (
        OLD.balance IS DISTINCT FROM NEW.balance
        AND (pg_trigger_depth() < 1
             OR current_setting('flattr.balances_moving', true) IS DISTINCT FROM 'on')
    )
    EXECUTE FUNCTION payments_balance_guard();

CREATE TRIGGER payments_ledgeraccount_opens_empty
    BEFORE INSERT ON payments_ledgeraccount
    FOR EACH ROW WHEN (NEW.balance <> 0)
    EXECUTE FUNCTION payments_balance_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS payments_ledgeraccount_opens_empty ON payments_ledgeraccount;
DROP TRIGGER IF EXISTS payments_ledgeraccount_balance_guard ON payments_ledgeraccount;
DROP FUNCTION IF EXISTS payments_balance_guard();
DROP TRIGGER IF EXISTS payments_transfer_balances_move ON payments_transfer;
DROP FUNCTION IF EXISTS payments_transfer_balances_move();
""" + "".join(
    f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};\n" for table in LEDGER_TABLES
) + "DROP FUNCTION IF EXISTS payments_no_truncate();\n"


class Migration(migrations.Migration):
    dependencies = [("payments", "0009_payouts")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
