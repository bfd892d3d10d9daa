"""Deposits end to end against a real localstripe, whose signed webhooks reach a live server."""

from __future__ import annotations

import os
import re

import pytest
from django.core import mail
from django.urls import reverse

from payments.models import AutoTopUp, Deposit, StripeEvent, Transfer
from payments.selectors import balances_for_user
from payments.services import budget_set
from payments.tasks import auto_topups_charge
from tests.factories import make_user
from tests.payments.conftest import wait_for

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)
WEBHOOK = "/payments/stripe/webhook/"


def _start_deposit(client, *, amount: int, card: str):
    page = client.get(reverse("payments:deposit_confirm"), {"amount": amount})
    assert page.status_code == 200
    reference = re.search(r'name="reference" value="([0-9a-f-]{36})"', page.text).group(1)
    response = client.post(
        reverse("payments:deposit_confirm"),
        {"amount": amount, "reference": reference, "card": card},
    )
    assert response.status_code == 302
    return Deposit.objects.get(reference=reference), response["Location"]


def _event_arrived(event_type: str, deposit: Deposit, *, deliveries: int = 1):
    """Wait for this deposit's event (a late event of an earlier test may arrive too: localstripe
    sends every event a second after it happens, to whatever webhook is registered then)."""
    return lambda: StripeEvent.objects.filter(
        type=event_type, deposit=deposit, deliveries__gte=deliveries
    ).first()


def test_a_deposit_is_credited_exactly_once_by_localstripes_real_signed_webhooks(
    client, live_server, stripe_webhooks_to
):
    user = make_user()
    client.force_login(user)
    # Two webhook endpoints with the same URL: localstripe delivers every event twice.
    stripe_webhooks_to(live_server.url + WEBHOOK)
    stripe_webhooks_to(live_server.url + WEBHOOK, hook_id="pytest-again")

    deposit, location = _start_deposit(client, amount=1500, card="visa")

    assert deposit.payment_id.startswith("pi_")
    assert deposit.status == Deposit.Status.PROCESSING  # paid, but nothing credited yet
    assert "Waiting for Stripe" in client.get(location).text
    event = wait_for(_event_arrived("payment_intent.succeeded", deposit, deliveries=2), timeout=20)
    assert event.outcome == StripeEvent.Outcome.APPLIED
    assert balances_for_user(user)["funds"] == 1500
    assert Transfer.objects.filter(kind=Transfer.Kind.DEPOSIT).count() == 1
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SUCCEEDED
    assert "was added to your funds" in client.get(location).text
    status = client.get(reverse("payments:deposit_status", args=[deposit.reference])).json()
    assert status["credited"] is True


def test_a_declined_card_fails_the_deposit_and_moves_no_money(
    client, live_server, stripe_webhooks_to
):
    user = make_user()
    client.force_login(user)
    stripe_webhooks_to(live_server.url + WEBHOOK)

    deposit, location = _start_deposit(client, amount=700, card="declined")

    assert deposit.status == Deposit.Status.FAILED
    assert "declined" in deposit.failure
    assert "The payment failed" in client.get(location).text
    event = wait_for(_event_arrived("payment_intent.payment_failed", deposit), timeout=20)
    assert event.outcome == StripeEvent.Outcome.APPLIED
    assert Transfer.objects.count() == 0


def test_a_3d_secure_card_waits_for_the_bank_and_is_credited_once_confirmed(
    client, live_server, stripe_webhooks_to
):
    user = make_user()
    client.force_login(user)
    stripe_webhooks_to(live_server.url + WEBHOOK)

    deposit, location = _start_deposit(client, amount=2500, card="3ds")

    assert deposit.status == Deposit.Status.REQUIRES_ACTION
    page = client.get(location).text
    assert "3-D Secure" in page and "Confirm the payment" in page
    assert balances_for_user(user)["funds"] == 0

    client.post(
        reverse("payments:deposit_authenticate", args=[deposit.reference]), {"answer": "approve"}
    )

    wait_for(_event_arrived("payment_intent.succeeded", deposit), timeout=20)
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SUCCEEDED
    assert balances_for_user(user)["funds"] == 2500


def test_refusing_3d_secure_fails_the_deposit(client, stripe_local):
    user = make_user()
    client.force_login(user)
    deposit, _ = _start_deposit(client, amount=300, card="3ds")

    client.post(
        reverse("payments:deposit_authenticate", args=[deposit.reference]), {"answer": "refuse"}
    )

    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.FAILED
    assert Transfer.objects.count() == 0


def test_submitting_the_confirmation_twice_charges_once(client, stripe_local):
    user = make_user()
    client.force_login(user)
    page = client.get(reverse("payments:deposit_confirm"), {"amount": 900})
    reference = re.search(r'name="reference" value="([0-9a-f-]{36})"', page.text).group(1)
    data = {"amount": 900, "reference": reference, "card": "visa"}

    first = client.post(reverse("payments:deposit_confirm"), data)
    second = client.post(reverse("payments:deposit_confirm"), data)

    assert first["Location"] == second["Location"]
    assert Deposit.objects.count() == 1


def test_the_automatic_top_up_charges_a_saved_card_once_a_month_before_payday(
    client, live_server, stripe_webhooks_to
):
    user = make_user()
    client.force_login(user)
    stripe_webhooks_to(live_server.url + WEBHOOK)
    budget_set(user=user, monthly_cents=1000, use_earnings=False, unused_to_charity=False)
    response = client.post(
        reverse("payments:auto_topup"), {"amount": "20", "active": "on", "card": "visa"}
    )
    assert response.status_code == 302
    assert AutoTopUp.objects.get(user=user).payment_method_id.startswith("pm_")

    assert auto_topups_charge.delay().get() == {"charged": 1, "failed": 0, "skipped": 0}
    assert auto_topups_charge.delay().get() == {"charged": 0, "failed": 0, "skipped": 1}

    deposit = Deposit.objects.get()
    wait_for(_event_arrived("payment_intent.succeeded", deposit), timeout=20)
    assert balances_for_user(user)["funds"] == 2000
    deposit.refresh_from_db()
    assert (deposit.method, deposit.status) == (Deposit.Method.AUTO_TOPUP, "succeeded")


def test_a_failing_automatic_top_up_emails_the_donor_and_charges_nothing(client, stripe_local):
    user = make_user()
    client.force_login(user)
    budget_set(user=user, monthly_cents=500, use_earnings=False, unused_to_charity=False)
    client.post(
        reverse("payments:auto_topup"), {"amount": "10", "active": "on", "card": "declined"}
    )
    mail.outbox.clear()

    assert auto_topups_charge.delay().get() == {"charged": 0, "failed": 1, "skipped": 0}

    assert Deposit.objects.get().status == Deposit.Status.FAILED
    assert AutoTopUp.objects.get(user=user).last_error
    assert Transfer.objects.count() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "did not go through" in message.subject
    assert "payday will take what your wallet holds" in message.body.lower()


def test_an_admin_refund_asks_stripe_and_leaves_the_books_to_the_webhook(
    admin_client, live_server, stripe_webhooks_to
):
    donor = make_user()
    admin_client.force_login(donor)
    stripe_webhooks_to(live_server.url + WEBHOOK)
    deposit, _ = _start_deposit(admin_client, amount=1200, card="visa")
    wait_for(_event_arrived("payment_intent.succeeded", deposit), timeout=20)
    staff = make_user(is_staff=True, is_superuser=True)
    admin_client.force_login(staff)

    response = admin_client.post(
        reverse("admin:payments_deposit_changelist"),
        {"action": "refund_through_stripe", "_selected_action": [deposit.pk]},
        follow=True,
    )

    assert "refund re_" in response.text
    assert balances_for_user(donor)["funds"] == 1200  # until charge.refunded arrives
