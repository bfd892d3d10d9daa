"""A fraud-marked recipient's earnings go back to the donors who paid them, exactly, share by
share (including shares held for a platform account the recipient claimed), in one audited
action; the ledger check is clean after every test (tests/conftest.py)."""

import pytest

from accounts.models import AdminAction
from accounts.moderation import account_mark_add
from payments.errors import PaymentError
from payments.fraud import fraud_earnings_return, fraud_return_due
from payments.models import LedgerAccount, Share, Transfer
from payments.payday import payday_run
from payments.services import system_account, transfer_post, user_account
from tests.factories import make_user
from tests.payments.payday_data import MONTH, balance, make_donor, make_flattr, make_thing

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


@pytest.fixture
def moderator():
    return make_user(username="mod", is_staff=True, is_superuser=True)


@pytest.fixture
def month_with_a_fraudster():
    """Three donors; the fraudster gets shares directly and through a pool they claimed."""
    fraudster = make_user(username="fraudster")
    own = make_thing(owner=fraudster)
    honest = make_thing()
    pool_thing = make_thing(pool_label="@sockpuppet")
    d1 = make_donor(budget=1000, funds=5000)  # 900 split: 450 fraudster, 450 honest
    d2 = make_donor(budget=600, funds=5000)  # 540 split: 270 fraudster, 270 pool
    d3 = make_donor(budget=300, funds=5000)  # 270 to the pool
    make_flattr(d1, own)
    make_flattr(d1, honest)
    make_flattr(d2, own)
    make_flattr(d2, pool_thing)
    make_flattr(d3, pool_thing)
    payday_run(month=MONTH)
    # The fraudster claims the pool the way a claim does: the pool moves into their earnings
    # and its shares become claimed.
    pool = pool_thing.payee
    transfer_post(
        key="claim:test",
        kind=Transfer.Kind.CLAIM,
        debit=pool,
        credit=user_account(fraudster, Kind.EARNINGS),
        amount_cents=540,
    )
    Share.objects.filter(payee=pool, state=Share.State.HELD).update(state=Share.State.CLAIMED)
    return fraudster, honest.owner, (d1, d2, d3)


def test_a_fraud_return_gives_each_donor_back_exactly_what_they_paid(
    moderator, month_with_a_fraudster
):
    fraudster, honest, (d1, d2, d3) = month_with_a_fraudster
    before = {donor.pk: balance(donor, Kind.FUNDS) for donor in (d1, d2, d3)}
    assert balance(fraudster) == 450 + 270 + 540
    account_mark_add(user=fraudster, kind="fraud", by=moderator, reason="sock puppets")

    returned = fraud_earnings_return(recipient=fraudster, by=moderator, reason="sock puppets")

    assert (returned.donors, returned.shares, returned.total_cents) == (3, 4, 1260)
    assert balance(d1, Kind.FUNDS) - before[d1.pk] == 450
    assert balance(d2, Kind.FUNDS) - before[d2.pk] == 270 + 270
    assert balance(d3, Kind.FUNDS) - before[d3.pk] == 270
    assert balance(fraudster) == 0
    assert balance(honest) == 450  # nobody else's earnings move
    action = AdminAction.objects.get(action="fraud_return")
    assert action.actor == moderator and action.subject == fraudster
    assert action.details == {"donors": 3, "shares": 4, "cents": 1260}
    assert fraud_return_due(fraudster).shares == 0
    with pytest.raises(PaymentError) as again:
        fraud_earnings_return(recipient=fraudster, by=moderator, reason="once more")
    assert again.value.code == "nothing_to_return"


def test_a_fraud_return_needs_the_fraud_mark(moderator, month_with_a_fraudster):
    fraudster, *_ = month_with_a_fraudster
    with pytest.raises(PaymentError) as refused:
        fraud_earnings_return(recipient=fraudster, by=moderator, reason="hunch")
    assert refused.value.code == "not_fraud"
    assert balance(fraudster) == 1260


def test_earnings_already_spent_refuse_the_whole_return(moderator, month_with_a_fraudster):
    fraudster, _honest, donors = month_with_a_fraudster
    transfer_post(
        key="spent:test",
        kind=Transfer.Kind.ADJUSTMENT,
        debit=user_account(fraudster, Kind.EARNINGS),
        credit=system_account(Kind.STRIPE),
        amount_cents=100,
    )
    account_mark_add(user=fraudster, kind="fraud", by=moderator, reason="sock puppets")
    funds_before = [balance(donor, Kind.FUNDS) for donor in donors]

    with pytest.raises(PaymentError) as short:
        fraud_earnings_return(recipient=fraudster, by=moderator, reason="sock puppets")

    assert short.value.code == "earnings_short"
    assert "€11.60" in short.value.message and "€12.60" in short.value.message
    assert [balance(donor, Kind.FUNDS) for donor in donors] == funds_before
    assert not AdminAction.objects.filter(action="fraud_return").exists()
    assert Share.objects.filter(state=Share.State.RETURNED).count() == 0
