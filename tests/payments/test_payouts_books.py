"""Payout books: two admins approving at once pay once, and payouts clearing holds exactly the
payouts on their way, back to zero once each has settled (a scripted month)."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.test import Client

from payments import services
from payments.errors import PaymentError
from payments.models import Payout
from payments.selectors import balances_for_user, ledger_check
from tests.factories import make_user
from tests.payments.payouts_flow import (
    admin_approve,
    clearing_balance,
    give_earnings,
    onboard,
    request_payout,
)
from tests.payments.test_concurrency import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _payout_settings(settings):
    settings.NEW_RECIPIENT_HOLD_DAYS = 0
    settings.PAYOUT_MINIMUM_CENTS = 1000


def _recipient(name: str, cents: int, fake_connect) -> tuple:
    user = make_user(username=name, email=f"{name}@example.org")
    give_earnings(user, cents, key=f"{name}-earned")
    client = Client()
    client.force_login(user)
    onboard(client, fake_connect)
    return user, client


def test_two_admins_approving_the_same_payout_at_once_pay_once(fake_connect):
    user, client = _recipient("pat", 5000, fake_connect)
    request_payout(client, amount="40")
    payout = Payout.objects.get(user=user)
    admins = [make_user(username=f"admin{i}", is_staff=True) for i in range(2)]

    results = run_in_threads(
        [lambda a=a: services.payout_approve(payout_id=payout.pk, admin=a) for a in admins]
    )

    errors = [r for r in results if isinstance(r, PaymentError)]
    assert len(errors) == 1 and errors[0].code == "payout_decided"
    assert len([r for r in results if isinstance(r, Payout)]) == 1
    payout.refresh_from_db()
    assert payout.status == Payout.Status.SENT
    assert [t["amount"] for t in fake_connect.state()["transfers"]] == [payout.net]
    assert balances_for_user(user)["earnings"] == 1000
    assert clearing_balance() == 4000
    assert ledger_check() == []


def _on_their_way() -> int:
    open_payouts = Payout.objects.filter(status__in=[Payout.Status.APPROVED, Payout.Status.SENT])
    return open_payouts.aggregate(total=Sum("amount"))["total"] or 0


def test_payouts_clearing_holds_what_is_on_its_way_and_returns_to_zero(fake_connect, admin_client):
    people = [_recipient(name, 3000 + 1000 * i, fake_connect) for i, name in enumerate("abcd")]
    for (_user, client), amount in zip(people, ["12", "20.50", "everything", "33"], strict=True):
        if amount == "everything":
            request_payout(client, everything=True)
        else:
            request_payout(client, amount=amount)
    payouts = list(Payout.objects.order_by("pk"))
    assert len(payouts) == 4

    for payout in payouts:  # the admin works the queue from the top
        admin_approve(admin_client, payout)
        assert clearing_balance() == _on_their_way()

    script = [("paid", 0), ("failed", 2), ("paid", 1), ("paid", 3)]
    for outcome, index in script:
        payout = Payout.objects.get(pk=payouts[index].pk)
        fake_connect.post(f"payouts/{payout.stripe_payout_id}/{outcome}")
        fake_connect.deliver(admin_client)
        fake_connect.deliver(admin_client)  # what the reversal task caused
        assert clearing_balance() == _on_their_way()
        assert ledger_check() == []

    assert clearing_balance() == 0
    statuses = list(Payout.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["paid", "paid", "failed", "paid"]
    failed_user = people[2][0]
    assert balances_for_user(failed_user)["earnings"] == 5000  # everything, returned exactly
