"""The ledger core: one service posts every transfer, exactly once per key."""

import pytest
from django.db import DatabaseError, transaction

from payments.errors import PaymentError
from payments.models import LedgerAccount, Transfer
from payments.selectors import ledger_check
from payments.services import system_account, transfer_post, user_account
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_transfer_moves_money_and_keeps_the_books_balanced():
    user = make_user()
    funds = user_account(user, LedgerAccount.Kind.FUNDS)
    stripe = system_account(LedgerAccount.Kind.STRIPE)

    _, created = transfer_post(
        key="deposit:pi_1", kind=Transfer.Kind.DEPOSIT, debit=stripe, credit=funds, amount_cents=500
    )

    assert created
    funds.refresh_from_db()
    stripe.refresh_from_db()
    assert (funds.balance, stripe.balance) == (500, -500)
    assert ledger_check() == []


def test_the_same_key_twice_is_a_no_op():
    user = make_user()
    funds = user_account(user, LedgerAccount.Kind.FUNDS)
    stripe = system_account(LedgerAccount.Kind.STRIPE)
    first, _ = transfer_post(
        key="k", kind=Transfer.Kind.DEPOSIT, debit=stripe, credit=funds, amount_cents=300
    )
    again, created = transfer_post(
        key="k", kind=Transfer.Kind.DEPOSIT, debit=stripe, credit=funds, amount_cents=300
    )
    assert not created and again.pk == first.pk
    funds.refresh_from_db()
    assert funds.balance == 300


def test_a_wallet_cannot_go_negative():
    user = make_user()
    funds = user_account(user, LedgerAccount.Kind.FUNDS)
    fees = system_account(LedgerAccount.Kind.FEES)
    with pytest.raises(PaymentError) as error:
        transfer_post(key="x", kind=Transfer.Kind.FEE, debit=funds, credit=fees, amount_cents=1)
    assert error.value.code == "no_means"
    assert not Transfer.objects.filter(key="x").exists()
    funds.refresh_from_db()
    assert funds.balance == 0


@pytest.mark.parametrize("amount", [0, -5, 1.5, "10", True])
def test_non_positive_or_non_integer_amounts_are_refused(amount):
    user = make_user()
    funds = user_account(user, LedgerAccount.Kind.FUNDS)
    stripe = system_account(LedgerAccount.Kind.STRIPE)
    with pytest.raises(PaymentError) as error:
        transfer_post(key="bad", kind="deposit", debit=stripe, credit=funds, amount_cents=amount)
    assert error.value.code == "invalid_amount"
    assert Transfer.objects.count() == 0


@pytest.mark.parametrize(
    "statement", ["UPDATE payments_transfer SET amount = 1", "DELETE FROM payments_transfer"]
)
def test_transfers_cannot_be_updated_or_deleted_at_the_database(statement):
    user = make_user()
    funds = user_account(user, LedgerAccount.Kind.FUNDS)
    stripe = system_account(LedgerAccount.Kind.STRIPE)
    transfer_post(key="k", kind="deposit", debit=stripe, credit=funds, amount_cents=700)
    from django.db import connection

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert Transfer.objects.get(key="k").amount == 700


def _sql(statement: str, params=None) -> None:
    from django.db import connection

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.parametrize("column", ["debit_id", "credit_id", "payday_id"])
def test_a_transfer_to_an_account_or_payday_that_does_not_exist_is_refused(column):
    """The references are checked per statement by a trigger (no per-row foreign keys): one
    bad row in a multi-row insert refuses the whole statement."""
    user = make_user()
    funds = user_account(user, LedgerAccount.Kind.FUNDS)
    stripe = system_account(LedgerAccount.Kind.STRIPE)
    values = {"debit_id": stripe.pk, "credit_id": funds.pk, "payday_id": None}
    values[column] = 10**12
    with pytest.raises(DatabaseError, match="does not exist"):
        _sql(
            "INSERT INTO payments_transfer (debit_id, credit_id, amount, kind, key, created_at, "
            "payday_id, memo) VALUES (%(stripe)s, %(funds)s, 5, 'deposit', 'good', now(), NULL, "
            "''), (%(debit_id)s, %(credit_id)s, 5, 'deposit', 'bad', now(), %(payday_id)s, '')",
            {"stripe": stripe.pk, "funds": funds.pk, **values},
        )
    assert Transfer.objects.count() == 0


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM payments_ledgeraccount WHERE id = %(account)s",
        "UPDATE payments_ledgeraccount SET id = id + 1000000 WHERE id = %(account)s",
        "DELETE FROM payments_payday WHERE id = %(payday)s",
    ],
)
def test_accounts_and_paydays_are_kept_forever(statement):
    """What keeps a checked reference valid: nothing a transfer refers to can go away."""
    import datetime as dt

    from payments.models import Payday

    user = make_user()
    funds = user_account(user, LedgerAccount.Kind.FUNDS)
    payday = Payday.objects.create(month=dt.date(2020, 1, 1))
    with pytest.raises(DatabaseError, match="kept forever"):
        _sql(statement, {"account": funds.pk, "payday": payday.pk})
    assert LedgerAccount.objects.filter(pk=funds.pk).exists()
    assert Payday.objects.filter(pk=payday.pk).exists()
