"""Text from outside (Stripe, X, donors) longer than a column is cut to the model's own
max_length, so a long message can never fail a write with a DataError."""

from __future__ import annotations

import pytest

from payments.models import Deposit, LedgerAccount, Transfer
from payments.services import (
    deposit_create,
    deposit_fail,
    pool_account_create,
    system_account,
    transfer_post,
    user_account,
)
from tests.factories import make_user
from twitter_claims import x_gateway
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db
LONG = "é" * 5000


def test_each_cut_is_the_fields_own_max_length():
    for model, name, constant in (
        (LedgerAccount, "label", LedgerAccount.LABEL_MAX),
        (Transfer, "memo", Transfer.MEMO_MAX),
        (Deposit, "failure", Deposit.FAILURE_MAX),
        (PlatformAccount, "name", PlatformAccount.NAME_MAX),
    ):
        assert model._meta.get_field(name).max_length == constant


def test_a_long_stripe_failure_a_pool_label_and_a_memo_are_stored_cut_to_their_columns():
    user = make_user()
    deposit, _ = deposit_create(user=user, amount_cents=500, method=Deposit.Method.CARD)
    assert deposit_fail(deposit=deposit, status=Deposit.Status.FAILED, failure=LONG)
    deposit.refresh_from_db()
    assert deposit.failure == LONG[: Deposit.FAILURE_MAX]

    pool = pool_account_create(label=LONG)
    assert len(LedgerAccount.objects.get(pk=pool.pk).label) == LedgerAccount.LABEL_MAX

    transfer, _ = transfer_post(
        key="test:long-memo",
        kind=Transfer.Kind.DEPOSIT,
        debit=system_account(LedgerAccount.Kind.STRIPE),
        credit=user_account(user, LedgerAccount.Kind.FUNDS),
        amount_cents=100,
        memo=LONG,
    )
    assert len(Transfer.objects.get(pk=transfer.pk).memo) == Transfer.MEMO_MAX


def test_a_long_display_name_from_x_is_cut_to_the_accounts_name_column():
    user = x_gateway._user_from({"data": {"id": "42", "username": "alice", "name": LONG}})
    assert user.name == LONG[: PlatformAccount.NAME_MAX]
