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
