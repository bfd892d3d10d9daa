"""The database refuses tampering with the books (payments migration 0010): TRUNCATE of the
ledger and share tables, a cached balance changed without the transfer that moves it, an
account opened with money in it; and a transfer moves both balances by itself."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from payments.models import LedgerAccount, Transfer
from payments.services import system_account, transfer_post, user_account
from tests.factories import make_user

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


@pytest.fixture
def funded():
    user = make_user()
    funds = user_account(user, Kind.FUNDS)
    transfer_post(
        key="guard:in",
        kind="deposit",
        debit=system_account(Kind.STRIPE),
        credit=funds,
        amount_cents=5000,
    )
    return funds


def _refused(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(error.value)


@pytest.mark.parametrize("table", ["payments_transfer", "payments_ledgeraccount", "payments_share"])
def test_truncate_of_the_ledger_and_share_tables_is_refused(funded, table):
    # (Deferred checks of the funding insert run first, or PostgreSQL refuses for that reason.)
    message = _refused(f"SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE {table} CASCADE")

    assert "TRUNCATE refused" in message
    assert Transfer.objects.filter(key="guard:in").exists()


def test_a_balance_changed_without_a_transfer_is_refused(funded):
    message = _refused("UPDATE payments_ledgeraccount SET balance = balance + 100000")

    assert "moves only with a transfer" in message
    funded.refresh_from_db()
    assert funded.balance == 5000


def test_the_orm_cannot_change_a_balance_either(funded):
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerAccount.objects.filter(pk=funded.pk).update(balance=0)
    stale = LedgerAccount.objects.get(pk=funded.pk)
    stale.balance = 7
    with pytest.raises(DatabaseError), transaction.atomic():
        stale.save()


def test_setting_the_marker_by_hand_opens_nothing(funded):
    message = _refused(
        "SELECT set_config('flattr.balances_moving', 'on', true); "
        "UPDATE payments_ledgeraccount SET balance = balance + 1 WHERE id = %s",
        [funded.pk],
    )

    assert "moves only with a transfer" in message


def test_an_account_cannot_open_with_money_in_it():
    message = _refused(
        "INSERT INTO payments_ledgeraccount (kind, label, balance, created_at) "
        "VALUES ('pool', 'forged', 100000, now())"
    )

    assert "opens with balance 0" in message


def test_a_transfer_inserted_by_hand_moves_both_balances_with_it(funded):
    stripe = system_account(Kind.STRIPE)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_transfer (debit_id, credit_id, amount, kind, key, created_at, "
            "memo) VALUES (%s, %s, 700, 'refund', 'guard:refund', now(), '')",
            [funded.pk, stripe.pk],
        )

    funded.refresh_from_db()
    stripe.refresh_from_db()
    assert (funded.balance, stripe.balance) == (4300, -4300)


def test_a_transfer_overdrawing_a_wallet_is_refused_as_a_whole(funded):
    stripe = system_account(Kind.STRIPE)
    message = _refused(
        "INSERT INTO payments_transfer (debit_id, credit_id, amount, kind, key, created_at, "
        "memo) VALUES (%s, %s, 5001, 'refund', 'guard:overdraw', now(), '')",
        [funded.pk, stripe.pk],
    )

    assert "ledger_wallets_and_pools_not_negative" in message
    assert not Transfer.objects.filter(key="guard:overdraw").exists()


def _web_role_sql(role: str) -> str:
    """bin/db-roles.sql as psql would send it, for a throwaway role name."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "bin" / "db-roles.sql").read_text()
    owner = connection.ops.quote_name(connection.get_connection_params()["user"])
    return (
        text.replace("flattr_web", role)
        .replace(":'web_password'", "'not-used'")
        .replace(':"owner"', owner)
    )


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE payments_transfer",
        "ALTER TABLE payments_ledgeraccount DISABLE TRIGGER payments_ledgeraccount_balance_guard",
        "ALTER TABLE payments_transfer DISABLE TRIGGER ALL",
        "DROP TRIGGER payments_transfer_balances_move ON payments_transfer",
        "CREATE TABLE sneaky (id int)",
        "UPDATE payments_ledgeraccount SET balance = balance + 100000",
    ],
)
def test_the_sites_database_role_cannot_get_around_the_guards(funded, statement):
    """The docker-compose stack serves the site as flattr_web (bin/db-roles.sql): rows only."""
    role = "flattr_web_test_guard"
    with transaction.atomic():  # rolled back: the role never outlives the test
        with connection.cursor() as cursor:
            cursor.execute(_web_role_sql(role))
            cursor.execute(f"SET LOCAL ROLE {role}")
            cursor.execute("SELECT count(*) FROM payments_transfer")  # it may read
            assert cursor.fetchone()[0] == 1
        message = _refused(statement)
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        transaction.set_rollback(True)

    assert (
        "permission denied" in message
        or "must be owner" in message
        or ("moves only with a transfer" in message)
    )
