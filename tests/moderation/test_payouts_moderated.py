"""Payouts stop for suspended and fraud-marked accounts; marks steer automatic approval;
payout requests are rate-limited per account and per network."""

import uuid

import pytest

from accounts.moderation import account_mark_add, user_suspend
from payments.errors import PaymentError
from payments.fraud import payout_attempt_check
from payments.models import LedgerAccount, Payout, PayoutAccount
from payments.services.payouts import payout_approve, payout_request
from tests.factories import make_user
from tests.payments.payday_data import balance, fund

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


@pytest.fixture
def moderator():
    return make_user(username="mod", is_staff=True, is_superuser=True)


@pytest.fixture
def recipient(settings):
    settings.NEW_RECIPIENT_HOLD_DAYS = 0  # the hold is issue 11's; here only moderation counts
    user = make_user()
    fund(user, earnings=5000)
    PayoutAccount.objects.create(
        user=user, stripe_account_id=f"acct_{user.pk}", status=PayoutAccount.Status.READY
    )
    return user


def ask(user, cents=2000) -> Payout:
    return payout_request(user=user, amount_cents=cents, reference=uuid.uuid4())


def test_a_suspended_recipient_cannot_request_a_payout(moderator, recipient):
    user_suspend(user=recipient, by=moderator, reason="chargebacks")
    with pytest.raises(PaymentError) as refused:
        ask(recipient)
    assert refused.value.code == "account_suspended"
    assert not Payout.objects.exists() and balance(recipient) == 5000


def test_a_waiting_payout_cannot_be_approved_once_the_account_is_suspended(moderator, recipient):
    payout = ask(recipient)
    assert payout.status == Payout.Status.REQUESTED
    account_mark_add(user=recipient, kind="fraud", by=moderator, reason="sock puppets")

    with pytest.raises(PaymentError) as refused:
        payout_approve(payout_id=payout.pk, admin=moderator)

    assert refused.value.code == "account_suspended"
    payout.refresh_from_db()
    assert payout.status == Payout.Status.REQUESTED and balance(recipient) == 5000


def test_a_trusted_mark_approves_small_payouts_and_a_suspicious_one_never(
    moderator, recipient, settings
):
    settings.PAYOUT_AUTO_APPROVE_CENTS = 3000
    account_mark_add(user=recipient, kind="trusted", by=moderator, reason="known band")
    assert ask(recipient).status == Payout.Status.APPROVED
    assert balance(recipient) == 3000

    other = make_user()
    fund(other, earnings=5000)
    PayoutAccount.objects.create(
        user=other, stripe_account_id="acct_other", status=PayoutAccount.Status.READY
    )
    account_mark_add(user=other, kind="suspicious", by=moderator, reason="odd donors")
    assert ask(other).status == Payout.Status.REQUESTED


def test_payout_requests_are_limited_per_account_and_network(settings):
    settings.PAYOUT_ATTEMPTS_PER_ACCOUNT_HOUR = 2
    settings.PAYOUT_ATTEMPTS_PER_NETWORK_HOUR = 3
    user = make_user()
    payout_attempt_check(user=user, network="203.0.113.0/24")
    payout_attempt_check(user=user, network="203.0.113.0/24")
    with pytest.raises(PaymentError) as limited:
        payout_attempt_check(user=user, network="203.0.113.0/24")
    assert limited.value.code == "payout_rate_limited"
    payout_attempt_check(user=make_user(), network="198.51.100.0/24")
    with pytest.raises(PaymentError):  # the fourth from 203.0.113.0/24, by another account
        payout_attempt_check(user=make_user(), network="203.0.113.0/24")


def test_the_home_panel_shows_the_payout_queue_oldest_first(client, moderator, recipient):
    from django.urls import reverse

    payout = ask(recipient, 2500)
    client.force_login(moderator)
    home = client.get(reverse("admin:index")).text
    assert "1 payout waiting for approval" in home
    assert reverse("admin:payments_payout_change", args=[payout.pk]) in home
    assert "€25.00" in home.split('id="payout-queue"')[1]


def test_payouts_export_as_csv_and_show_on_the_support_page(client, moderator, recipient):
    from django.urls import reverse

    payout = ask(recipient, 2500)
    client.force_login(moderator)
    response = client.get(reverse("admin:payments_payout_export"), {"status": "requested"})
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("payout_id,reference,requested_at,username")
    assert len(lines) == 2 and f"{payout.pk},{payout.reference}" in lines[1]
    assert ",25.00," in lines[1] and recipient.username in lines[1]
    assert (
        client.get(reverse("admin:payments_payout_export"), {"status": "paid"}).status_code == 200
    )

    support = client.get(reverse("console:support"), {"user": recipient.pk}).text
    assert "€25.00, waiting for approval" in support
    assert "Payable now: €25.00" in support  # €50.00 earned, €25.00 reserved by the request
