"""Closing with "refund to my card", against a real localstripe and its webhooks."""

import os
import re

import pytest
from django.urls import reverse

from payments.models import Deposit, LedgerAccount, Transfer
from payments.selectors import balances_for_user
from tests.factories import make_user
from tests.payments import stripe_events
from tests.payments.conftest import (  # noqa: F401 - fixtures, used by name
    localstripe_url,
    stripe_local,
    stripe_webhooks_to,
    wait_for,
)
from tests.payments.payday_data import fund

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)
WEBHOOK = "/payments/stripe/webhook/"


def test_closing_refunds_the_card_and_gives_only_the_rest_to_charity(
    client,
    live_server,
    stripe_webhooks_to,  # noqa: F811
):
    user = make_user()
    client.force_login(user)
    stripe_webhooks_to(live_server.url + WEBHOOK)
    page = client.get(reverse("payments:deposit_confirm"), {"amount": 1200})
    reference = re.search(r'name="reference" value="([0-9a-f-]{36})"', page.text).group(1)
    client.post(
        reverse("payments:deposit_confirm"),
        {"amount": 1200, "reference": reference, "card": "visa"},
    )
    deposit = Deposit.objects.get(reference=reference)
    wait_for(lambda: balances_for_user(user)["funds"] == 1200, timeout=20)
    fund(user, funds=300)  # money that came back from an expired pool: no card to refund it to

    page = client.get(reverse("account_close"))
    assert "€12.00" in page.text and "€3.00" in page.text
    client.post(
        reverse("account_close_confirm"),
        {"funds": "refund", "earnings": "forfeit", "confirm": "yes"},
    )

    deposit.refresh_from_db()
    assert deposit.refunded_cents == 1200
    assert balances_for_user(user) == {"funds": 0, "earnings": 0, "receivable": 0}
    assert LedgerAccount.objects.get(kind="charity").balance == 300
    # Stripe then reports the refund (cumulative amount); the webhook finds it booked already.
    response = stripe_events.post(
        client,
        stripe_events.charge_refunded(deposit, payment_id=deposit.payment_id, refunded=1200),
    )
    assert response.status_code == 200
    assert balances_for_user(user) == {"funds": 0, "earnings": 0, "receivable": 0}
    assert Transfer.objects.filter(kind=Transfer.Kind.REFUND).count() == 1
