"""Payouts end to end over real HTTP: onboarding on the fake Stripe Connect, requests on our
pages, approval in the admin, the transfer and bank payout at the fake, its events posted,
signed, to our webhook; the ledger check (autouse) is clean after each."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from payments.models import LedgerAccount, Payout, PayoutAccount, Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.factories import make_user
from tests.payments.payouts_flow import (
    admin_approve,
    clearing_balance,
    give_earnings,
    onboard,
    request_payout,
)

# Real commits: approval queues the transfer, and every step its mail, after commit, as in
# production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def recipient(client, settings, fake_connect):
    settings.NEW_RECIPIENT_HOLD_DAYS = 0
    settings.PAYOUT_MINIMUM_CENTS = 1000
    settings.PAYOUT_FEE_FIXED_CENTS = 25
    settings.PAYOUT_FEE_BPS = 25
    user = make_user(username="pat", email="pat@example.org")
    give_earnings(user, 5000, key="earned-1")
    client.force_login(user)
    return user


def _earnings(user) -> int:
    return balances_for_user(user)["earnings"]


def test_onboard_request_approve_and_get_paid(client, admin_client, recipient, fake_connect):
    page = client.get(reverse("payments:payouts"))
    assert "Set up payouts" in page.content.decode()

    back = onboard(client, fake_connect)
    assert "Your payout details are complete." in back.content.decode()
    account = PayoutAccount.objects.get(user=recipient)
    assert account.status == PayoutAccount.Status.READY
    assert account.bank_label == "DE •••• 3000"

    review, confirm = request_payout(client, amount="20")
    review_html = review.content.decode()
    assert "€20.00" in review_html and "€0.30" in review_html  # 25 cents + 0.25 %
    assert "€19.70" in review_html
    assert "an admin approves it soon" in confirm.content.decode()
    payout = Payout.objects.get(user=recipient)
    assert (payout.status, payout.amount, payout.fee) == ("requested", 2000, 30)
    assert _earnings(recipient) == 5000  # nothing moved before approval

    admin_approve(admin_client, payout)

    payout.refresh_from_db()
    assert payout.status == Payout.Status.SENT
    assert payout.decided_by.is_superuser and not payout.auto_approved
    assert payout.expected_on is not None
    assert _earnings(recipient) == 3000
    assert clearing_balance() == 2000
    state = fake_connect.state()
    assert [t["amount"] for t in state["transfers"]] == [1970]
    assert [p["amount"] for p in state["payouts"]] == [1970]
    page = client.get(reverse("payments:payouts")).content.decode()
    assert "expected in your bank by" in page

    fake_connect.post(f"payouts/{payout.stripe_payout_id}/paid")
    assert fake_connect.deliver(client)[-1] == "applied"

    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert clearing_balance() == 0
    fees = LedgerAccount.objects.get(kind=LedgerAccount.Kind.FEES)
    assert fees.balance == 30
    subjects = [m.subject for m in mail.outbox if m.to == ["pat@example.org"]]
    assert subjects == [
        "Your payout of €20.00 is requested",
        "€19.70 is on its way to your bank",
        "€19.70 has reached your bank",
    ]
    statement = client.get(reverse("payments:wallet")).content.decode()
    assert "Payout to your bank account" in statement
    assert ledger_check() == []


def test_a_refused_transfer_reverses_exactly_and_tells_the_recipient(
    client, admin_client, recipient, fake_connect
):
    onboard(client, fake_connect)
    request_payout(client, amount="30")
    payout = Payout.objects.get(user=recipient)
    fake_connect.post("transfers/fail", message="Your platform balance is too low.")

    admin_approve(admin_client, payout)

    payout.refresh_from_db()
    assert payout.status == Payout.Status.FAILED
    assert payout.failure == "Your platform balance is too low."
    assert _earnings(recipient) == 5000
    assert clearing_balance() == 0
    moves = Transfer.objects.filter(key__startswith=f"payout:{payout.pk}").order_by("id")
    assert [(t.kind, t.amount) for t in moves] == [("payout", 3000), ("payout_reversal", 3000)]
    assert "the money is back in your earnings" in mail.outbox[-1].subject
    assert (
        "Your platform balance is too low."
        in client.get(reverse("payments:payouts")).content.decode()
    )


def test_a_failed_bank_payout_reverses_once_whatever_events_follow(
    client, admin_client, recipient, fake_connect
):
    onboard(client, fake_connect)
    request_payout(client, everything=True)
    payout = Payout.objects.get(user=recipient)
    assert payout.amount == 5000  # everything
    admin_approve(admin_client, payout)
    payout.refresh_from_db()
    assert _earnings(recipient) == 0

    fake_connect.post(f"payouts/{payout.stripe_payout_id}/failed", reason="Account closed")
    outcomes = fake_connect.deliver(client)  # account.updated, payout.failed, then the
    outcomes += fake_connect.deliver(client)  # transfer.reversed our reversal task caused
    for event in fake_connect.events():  # and Stripe redelivering all of them
        from tests.payments.payouts_flow import deliver_event

        assert deliver_event(client, event) == "duplicate"

    payout.refresh_from_db()
    assert payout.status == Payout.Status.FAILED
    assert _earnings(recipient) == 5000
    assert clearing_balance() == 0
    assert Transfer.objects.filter(kind="payout_reversal").count() == 1
    reversed_transfers = [t for t in fake_connect.state()["transfers"] if t["reversed"]]
    assert len(reversed_transfers) == 1
    assert "applied" in outcomes
    assert ledger_check() == []


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("60", "You can take out at most €50.00 now."),
        ("9.99", "A payout is at least €10.00."),
    ],
)
def test_a_request_outside_the_limits_is_refused_with_a_clear_message(
    client, recipient, fake_connect, amount, message
):
    onboard(client, fake_connect)

    _review, confirm = request_payout(client, amount=amount)

    assert confirm.status_code == 400
    assert message in confirm.content.decode()
    assert not Payout.objects.exists()
    assert _earnings(recipient) == 5000


def test_new_recipients_earnings_are_held_and_the_page_says_until_when(
    client, recipient, fake_connect, settings
):
    settings.NEW_RECIPIENT_HOLD_DAYS = 30
    onboard(client, fake_connect)

    page = client.get(reverse("payments:payouts")).content.decode()
    _review, confirm = request_payout(client, amount="20")

    assert "€50.00 is held: earnings of new recipients wait 30 days" in page
    assert confirm.status_code == 400
    body = confirm.content.decode()
    assert "You can take out at most €0.00 now." in body
    assert "because you are a new recipient" in body
    assert not Payout.objects.exists()


def test_changed_payout_details_block_payouts_for_five_days(client, recipient, fake_connect):
    onboard(client, fake_connect)
    account = PayoutAccount.objects.get(user=recipient)
    fake_connect.post(
        f"accounts/{account.stripe_account_id}/bank", iban="FR1420041010050500013M02606"
    )
    assert fake_connect.deliver(client)[-1] == "applied"  # account.updated

    page = client.get(reverse("payments:payouts")).content.decode()
    _review, confirm = request_payout(client, amount="20")

    account.refresh_from_db()
    assert account.bank_label == "FR •••• 2606" and account.details_changed_at is not None
    assert "payouts are possible again from" in page
    assert confirm.status_code == 400
    assert "Your payout details changed recently" in confirm.content.decode()
    assert not Payout.objects.exists()


def test_a_trusted_recipient_below_the_limit_is_paid_without_waiting(
    client, admin_client, recipient, fake_connect, settings
):
    settings.PAYOUT_AUTO_APPROVE_CENTS = 1500
    onboard(client, fake_connect)
    request_payout(client, amount="10")
    first = Payout.objects.get(user=recipient)
    admin_approve(admin_client, first)
    first.refresh_from_db()
    fake_connect.post(f"payouts/{first.stripe_payout_id}/paid")
    fake_connect.deliver(client)

    request_payout(client, amount="15")  # trusted now, and at the limit
    second = Payout.objects.exclude(pk=first.pk).get()
    assert (second.status, second.auto_approved, second.decided_by) == ("sent", True, None)

    fake_connect.post(f"payouts/{second.stripe_payout_id}/paid")
    fake_connect.deliver(client)
    request_payout(client, amount="15.01")  # above the limit: waits for an admin
    third = Payout.objects.exclude(pk__in=[first.pk, second.pk]).get()
    assert third.status == "requested"
    assert clearing_balance() == 0


def test_a_double_submitted_confirmation_asks_once(client, recipient, fake_connect):
    onboard(client, fake_connect)
    review = client.post(reverse("payments:payout_review"), {"amount": "15"})
    form = review.context["form"]
    data = {
        "amount": form.initial["amount"],
        "everything": "",
        "reference": str(form.initial["reference"]),
    }

    first = client.post(reverse("payments:payout_confirm"), data)
    second = client.post(reverse("payments:payout_confirm"), data)

    assert first.status_code == second.status_code == 302
    assert Payout.objects.count() == 1


def test_admin_rejects_with_a_reason_the_recipient_reads(
    client, admin_client, recipient, fake_connect
):
    onboard(client, fake_connect)
    request_payout(client, amount="20")
    payout = Payout.objects.get()

    refused = admin_client.post(
        reverse("admin:payments_payout_changelist"),
        {"action": "payouts_reject", "_selected_action": [payout.pk], "reason": ""},
        follow=True,
    )
    assert "Give a reason" in refused.content.decode()
    admin_client.post(
        reverse("admin:payments_payout_changelist"),
        {"action": "payouts_reject", "_selected_action": [payout.pk], "reason": "Looks odd"},
        follow=True,
    )

    payout.refresh_from_db()
    assert (payout.status, payout.decision_reason) == ("rejected", "Looks odd")
    assert payout.decided_by.is_superuser
    assert _earnings(recipient) == 5000
    assert "Looks odd" in mail.outbox[-1].body
    assert fake_connect.state()["transfers"] == []


def test_the_admin_queue_lists_the_oldest_first_with_money_as_money(
    admin_client, settings, fake_connect
):
    settings.NEW_RECIPIENT_HOLD_DAYS = 30
    users = [make_user(username=f"r{i}") for i in range(2)]
    for i, user in enumerate(users):
        give_earnings(user, 4000, key=f"q{i}")
        account = PayoutAccount.objects.create(
            user=user, stripe_account_id=f"acct_q{i}", status="ready"
        )
        Payout.objects.create(user=user, account=account, amount=1500 + i, fee=29, currency="EUR")

    page = admin_client.get(reverse("admin:payments_payout_changelist")).content.decode()

    assert page.index("€15.00") < page.index("€15.01")  # oldest first
    assert "€40.00 (until" in page  # held, and until when
    assert "ready" in page


def test_the_payouts_page_and_mails_speak_german(client, settings, fake_connect):
    settings.NEW_RECIPIENT_HOLD_DAYS = 30
    user = make_user(username="greta", email="greta@example.org", preferred_language="de")
    give_earnings(user, 5000, key="greta")
    client.force_login(user)

    page = client.get(reverse("payments:payouts"), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Auszahlungen einrichten" in page
    assert "50,00\u00a0€ werden zurückgehalten" in page


@pytest.mark.parametrize("finish", ["paid", "failed"])
def test_a_payout_event_that_overtakes_our_record_of_the_payout_applies_once_it_is_saved(
    client, admin_client, recipient, fake_connect, monkeypatch, finish
):
    """Stripe may send payout.paid (or payout.failed) before payout_send has saved the bank
    payout's id: the event is kept as unmatched under that id and applied when the id is
    saved, so the payout settles (or reverses) and payouts clearing returns to zero."""
    from payments import stripe_gateway

    original = stripe_gateway.connect_payout_create
    early: list[str] = []

    def payout_create_then_event_arrives(**kwargs):
        bank_payout_id, arrival = original(**kwargs)
        fake_connect.post(f"payouts/{bank_payout_id}/{finish}")
        early.extend(fake_connect.deliver(client))  # before our code has saved the id
        return bank_payout_id, arrival

    monkeypatch.setattr(stripe_gateway, "connect_payout_create", payout_create_then_event_arrives)
    onboard(client, fake_connect)
    request_payout(client, amount="20")
    payout = Payout.objects.get(user=recipient)

    admin_approve(admin_client, payout)

    assert early[-1] == "unmatched"
    payout.refresh_from_db()
    assert payout.status == (Payout.Status.PAID if finish == "paid" else Payout.Status.FAILED)
    assert clearing_balance() == 0
    assert _earnings(recipient) == (3000 if finish == "paid" else 5000)
    from payments.models import StripeEvent

    event = StripeEvent.objects.get(type=f"payout.{finish}")
    assert (event.outcome, event.payment_id) == ("applied", payout.stripe_payout_id)
    fake_connect.deliver(client)  # what came after (the reversal of a failed payout's transfer)
    payout.refresh_from_db()
    assert payout.status == (Payout.Status.PAID if finish == "paid" else Payout.Status.FAILED)
    for delivered in fake_connect.events():  # Stripe redelivering changes nothing
        from tests.payments.payouts_flow import deliver_event

        assert deliver_event(client, delivered) == "duplicate"
    assert Transfer.objects.filter(key__startswith=f"payout:{payout.pk}").count() == (
        3 if finish == "paid" else 2  # payout, fee, settled | payout, reversal
    )
    assert ledger_check() == []


def test_an_approved_payout_whose_task_was_lost_is_sent_by_the_next_round(
    client, admin_client, recipient, fake_connect, monkeypatch
):
    """The queue was unreachable when the approval committed (the task never ran): beat's
    payouts_send_due sends it once it is 10 minutes old, once, and it settles as usual."""
    import datetime as dt

    from django.utils import timezone
    from kombu.exceptions import OperationalError

    from payments import tasks
    from payments.services import payouts_send_due

    def broker_down(**kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.payout_send_task, "delay", broker_down)
    onboard(client, fake_connect)
    request_payout(client, amount="20")
    payout = Payout.objects.get(user=recipient)
    admin_approve(admin_client, payout)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.APPROVED  # money in clearing, nothing sent
    assert clearing_balance() == 2000 and fake_connect.state()["transfers"] == []

    assert payouts_send_due() == []  # approved just now: its own task may still be running
    later = timezone.now() + dt.timedelta(minutes=11)
    assert payouts_send_due(now=later) == [payout.pk]
    assert payouts_send_due(now=later) == []  # sent: nothing left to do

    payout.refresh_from_db()
    assert payout.status == Payout.Status.SENT
    state = fake_connect.state()
    assert [t["amount"] for t in state["transfers"]] == [1970]
    assert [p["amount"] for p in state["payouts"]] == [1970]
    fake_connect.post(f"payouts/{payout.stripe_payout_id}/paid")
    fake_connect.deliver(client)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert clearing_balance() == 0
    assert ledger_check() == []
