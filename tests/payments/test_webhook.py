"""The Stripe webhook: verified, recorded once per event, crediting once per payment."""

from __future__ import annotations

import json
import random
import time

import pytest
from django.db import transaction

from payments.models import Deposit, Dispute, LedgerAccount, StripeEvent, Transfer
from payments.selectors import account_frozen, balances_for_user, means_check
from payments.services import budget_set, deposit_payment_update, transfer_post, user_account
from tests.factories import make_user
from tests.payments import stripe_events as se

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


def books() -> dict:
    """The state of the books: every account's balance, keyed by what the account is."""
    return {
        (account.kind, account.user_id, account.label): account.balance
        for account in LedgerAccount.objects.all()
    }


def funds_of(user) -> int:
    return balances_for_user(user)["funds"]


def deposit_transfers() -> int:
    return Transfer.objects.filter(kind=Transfer.Kind.DEPOSIT).count()


# ---- Verification and bad input ----


def test_a_signed_payment_intent_succeeded_credits_the_funds_once(client):
    user = make_user()
    deposit = se.new_deposit(user, 1500)
    event = se.intent_succeeded(deposit)

    first = se.post(client, event)
    again = se.post(client, event)

    assert first.status_code == 200 and first.json()["outcome"] == "applied"
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert funds_of(user) == 1500
    assert deposit_transfers() == 1
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SUCCEEDED and deposit.credited_at is not None
    row = StripeEvent.objects.get(event_id=event["id"])
    assert (row.outcome, row.deliveries, row.deposit_id) == ("applied", 2, deposit.pk)


@pytest.mark.parametrize(
    "header",
    [
        "",  # missing
        "garbage",
        "t=notanumber,v1=abc",
        "v1=" + "0" * 64,  # no timestamp
    ],
)
def test_a_missing_or_malformed_signature_gets_400_and_changes_nothing(client, header):
    user = make_user()
    deposit = se.new_deposit(user)
    before = books()

    response = se.post(client, se.intent_succeeded(deposit), header=header)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_signature"
    assert books() == before and StripeEvent.objects.count() == 0


def test_a_forged_signature_gets_400_and_changes_nothing(client):
    user = make_user()
    deposit = se.new_deposit(user)
    before = books()

    response = se.post(client, se.intent_succeeded(deposit), secret="whsec_forged")

    assert response.status_code == 400
    assert books() == before and StripeEvent.objects.count() == 0
    assert Deposit.objects.get(pk=deposit.pk).status == Deposit.Status.PROCESSING


def test_a_body_altered_after_signing_gets_400(client):
    user = make_user()
    deposit = se.new_deposit(user, 500)
    payload = json.dumps(se.intent_succeeded(deposit)).encode()
    header = se.signature(payload)

    response = se.post(client, payload.replace(b'"amount": 500', b'"amount": 99999'), header=header)

    assert response.status_code == 400
    assert funds_of(user) == 0


def test_an_old_signature_is_refused_as_a_replay(client):
    user = make_user()
    deposit = se.new_deposit(user)
    payload = json.dumps(se.intent_succeeded(deposit)).encode()
    stale = se.signature(payload, timestamp=int(time.time()) - 3600)

    assert se.post(client, payload, header=stale).status_code == 400
    assert funds_of(user) == 0


@pytest.mark.parametrize(
    "payload",
    [
        b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"obj',  # truncated
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b"",
        b"null",
    ],
)
def test_a_signed_body_that_is_not_a_json_object_gets_400(client, payload):
    response = se.post(client, payload)
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.pop("id"),
        lambda e: e.update(id="not-an-event-id"),
        lambda e: e.pop("type"),
        lambda e: e.update(created="yesterday"),
        lambda e: e.update(created=10**30),
        lambda e: e["data"]["object"].update(amount=10**30, amount_received=10**30),
        lambda e: e.update(data={}),
        lambda e: e["data"].update(object="pi_123"),
        lambda e: e["data"]["object"].update(amount=10.5, amount_received=10.5),
        lambda e: e["data"]["object"].update(amount="1000", amount_received="1000"),
        lambda e: e["data"]["object"].update(amount=-1000, amount_received=-1000),
        lambda e: e["data"]["object"].update(amount_received=True),
        lambda e: e["data"]["object"].pop("currency"),
        lambda e: e["data"]["object"].update(id=12345),
    ],
)
def test_a_signed_event_with_impossible_fields_gets_400_and_changes_nothing(client, change):
    user = make_user()
    deposit = se.new_deposit(user)
    event = se.intent_succeeded(deposit)
    change(event)
    before = books()

    response = se.post(client, event)

    assert response.status_code == 400
    assert books() == before and StripeEvent.objects.count() == 0


def test_nan_in_a_signed_event_gets_400(client):
    user = make_user()
    deposit = se.new_deposit(user)
    payload = json.dumps(se.intent_succeeded(deposit)).encode()
    payload = payload.replace(
        f'"amount_received": {deposit.amount}'.encode(), b'"amount_received": NaN'
    )
    assert se.post(client, payload).status_code == 400
    assert funds_of(user) == 0


def test_the_webhook_accepts_only_post(client):
    assert client.get("/payments/stripe/webhook/").status_code == 405


def test_unknown_event_types_are_recorded_as_ignored_and_answered_200(client):
    event = se.event("customer.created", {"id": "cus_1", "object": "customer"})

    response = se.post(client, event)

    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert StripeEvent.objects.get(event_id=event["id"]).outcome == StripeEvent.Outcome.IGNORED
    assert Transfer.objects.count() == 0


# ---- Deposits ----


def test_checkout_completed_credits_and_the_payment_intent_event_does_not_credit_again(client):
    user = make_user()
    deposit = se.new_deposit(user, 2000, known=False)
    payment_id = se.next_payment_id()

    assert (
        se.post(client, se.checkout_completed(deposit, payment_id=payment_id)).json()["outcome"]
        == "applied"
    )
    assert se.post(client, se.intent_succeeded(deposit, payment_id=payment_id)).status_code == 200

    assert funds_of(user) == 2000 and deposit_transfers() == 1
    deposit.refresh_from_db()
    assert deposit.payment_id == payment_id and deposit.status == Deposit.Status.SUCCEEDED
    assert Transfer.objects.get(kind="deposit").key == f"deposit:{payment_id}"


def test_an_unpaid_checkout_waits_for_async_payment_succeeded(client):
    user = make_user()
    deposit = se.new_deposit(user, 800, known=False)
    payment_id = se.next_payment_id()
    unpaid = se.checkout_completed(deposit, payment_id=payment_id, payment_status="unpaid")

    se.post(client, unpaid)
    assert funds_of(user) == 0

    paid = se.checkout_completed(deposit, payment_id=payment_id)
    paid["type"] = "checkout.session.async_payment_succeeded"
    se.post(client, paid)
    assert funds_of(user) == 800


def test_a_payment_intent_found_by_its_metadata_credits_before_the_page_recorded_its_id(client):
    user = make_user()
    deposit = se.new_deposit(user, 700, known=False)  # the webhook overtook the browser
    payment_id = se.next_payment_id()

    se.post(client, se.intent_succeeded(deposit, payment_id=payment_id))
    deposit_payment_update(
        deposit_id=deposit.pk, payment_id=payment_id, status=Deposit.Status.PROCESSING
    )

    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SUCCEEDED  # the page's answer does not undo it
    assert funds_of(user) == 700


@pytest.mark.parametrize(
    "override",
    [{"amount": 100_000, "amount_received": 100_000}, {"currency": "usd"}],
)
def test_an_amount_or_currency_that_does_not_match_the_deposit_is_rejected(client, override):
    user = make_user()
    deposit = se.new_deposit(user, 1000)
    event = se.intent_succeeded(deposit, **override)

    response = se.post(client, event)

    assert response.status_code == 200 and response.json()["outcome"] == "rejected"
    assert funds_of(user) == 0 and Transfer.objects.count() == 0
    row = StripeEvent.objects.get(event_id=event["id"])
    assert row.error.startswith("amount_mismatch") and row.deposit_id == deposit.pk
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.REJECTED


def test_an_event_for_an_unknown_payment_is_kept_and_moves_no_money(client):
    user = make_user()
    stranger = se.new_deposit(user, 1000, known=False)
    event = se.intent_succeeded(stranger, payment_id="pi_unknown", metadata={})

    response = se.post(client, event)

    assert response.status_code == 200 and response.json()["outcome"] == "unmatched"
    assert Transfer.objects.count() == 0
    assert StripeEvent.objects.get(event_id=event["id"]).payment_id == "pi_unknown"


def test_a_refund_kept_as_unmatched_is_applied_when_the_deposit_learns_its_payment_id(client):
    user = make_user()
    deposit = se.new_deposit(user, 1000, known=False)
    payment_id = se.next_payment_id()
    se.post(client, se.charge_refunded(deposit, payment_id=payment_id, refunded=400))
    assert Transfer.objects.count() == 0

    deposit_payment_update(
        deposit_id=deposit.pk, payment_id=payment_id, status=Deposit.Status.PROCESSING
    )

    assert funds_of(user) == 600  # credited 1000 (a refunded charge was paid), then 400 back
    assert StripeEvent.objects.get().outcome == StripeEvent.Outcome.APPLIED


def test_a_dispute_kept_as_unmatched_is_applied_when_checkout_reveals_the_payment(client):
    user = make_user()
    deposit = se.new_deposit(user, 2000, known=False)  # Checkout: no payment id until paid
    payment_id = se.next_payment_id()
    early = se.dispute(
        "charge.dispute.created",
        dispute_id="dp_early",
        payment_id=payment_id,
        amount=500,
        status="needs_response",
    )
    assert se.post(client, early).json()["outcome"] == "unmatched"

    se.post(client, se.checkout_completed(deposit, payment_id=payment_id))

    assert funds_of(user) == 1500
    assert StripeEvent.objects.get(event_id=early["id"]).outcome == StripeEvent.Outcome.APPLIED


def test_payment_failed_marks_the_deposit_failed_and_never_undoes_a_credit(client):
    user = make_user()
    failing = se.new_deposit(user, 500)
    se.post(client, se.intent_failed(failing, payment_id=failing.payment_id))
    failing.refresh_from_db()
    assert failing.status == Deposit.Status.FAILED and "declined" in failing.failure

    paid = se.new_deposit(user, 900)
    se.post(client, se.intent_succeeded(paid))
    se.post(client, se.intent_failed(paid, payment_id=paid.payment_id))  # late and stale
    paid.refresh_from_db()
    assert paid.status == Deposit.Status.SUCCEEDED
    assert funds_of(user) == 900


# ---- Refunds ----


def test_a_refund_debits_the_funds_and_a_stale_smaller_total_changes_nothing(client):
    user = make_user()
    deposit = se.new_deposit(user, 1000)
    se.post(client, se.intent_succeeded(deposit))

    se.post(client, se.charge_refunded(deposit, payment_id=deposit.payment_id, refunded=600))
    se.post(client, se.charge_refunded(deposit, payment_id=deposit.payment_id, refunded=300))

    assert funds_of(user) == 400
    deposit.refresh_from_db()
    assert deposit.refunded_cents == 600
    se.post(client, se.charge_refunded(deposit, payment_id=deposit.payment_id, refunded=1000))
    assert funds_of(user) == 0


def test_a_refund_larger_than_the_deposit_is_rejected(client):
    user = make_user()
    deposit = se.new_deposit(user, 1000)
    se.post(client, se.intent_succeeded(deposit))
    event = se.charge_refunded(deposit, payment_id=deposit.payment_id, refunded=1001, amount=1000)

    assert se.post(client, event).json()["outcome"] == "rejected"
    assert funds_of(user) == 1000


def test_a_refund_arriving_before_succeeded_credits_first_then_debits(client):
    user = make_user()
    deposit = se.new_deposit(user, 1000)
    refund = se.charge_refunded(deposit, payment_id=deposit.payment_id, refunded=250)
    succeeded = se.intent_succeeded(deposit)

    se.post(client, refund)
    se.post(client, succeeded)

    assert funds_of(user) == 750 and deposit_transfers() == 1
    assert not account_frozen(user)


def test_what_the_funds_cannot_cover_becomes_a_debt_that_freezes_until_a_deposit_pays_it(client):
    user = make_user()
    budget_set(user=user, monthly_cents=500, use_earnings=True, unused_to_charity=False)
    deposit = se.new_deposit(user, 1000)
    se.post(client, se.intent_succeeded(deposit))
    # The donor spent 700 of it (here: to another user), then the whole deposit is refunded.
    other = make_user()
    transfer_post(
        key="spent",
        kind=Transfer.Kind.INTERNAL,
        debit=user_account(user, Kind.FUNDS),
        credit=user_account(other, Kind.FUNDS),
        amount_cents=700,
    )
    transfer_post(  # earnings from someone else are not touched by the refund
        key="earned",
        kind=Transfer.Kind.INTERNAL,
        debit=user_account(other, Kind.FUNDS),
        credit=user_account(user, Kind.EARNINGS),
        amount_cents=200,
    )

    se.post(client, se.charge_refunded(deposit, payment_id=deposit.payment_id, refunded=1000))

    assert balances_for_user(user) == {"funds": 0, "earnings": 200, "receivable": -700}
    assert account_frozen(user) and means_check(user) == "account_frozen"

    top_up = se.new_deposit(user, 500)
    se.post(client, se.intent_succeeded(top_up))
    assert balances_for_user(user) == {"funds": 0, "earnings": 200, "receivable": -200}
    assert account_frozen(user)

    second = se.new_deposit(user, 2000)
    se.post(client, se.intent_succeeded(second))
    assert balances_for_user(user) == {"funds": 1800, "earnings": 200, "receivable": 0}
    assert not account_frozen(user) and means_check(user) is None
    settles = Transfer.objects.filter(kind=Transfer.Kind.RECEIVABLE_SETTLE)
    assert sorted(settles.values_list("amount", flat=True)) == [200, 500]


# ---- Disputes ----


def test_a_dispute_debits_once_and_a_won_dispute_gives_it_back_once(client):
    user = make_user()
    deposit = se.new_deposit(user, 1000)
    se.post(client, se.intent_succeeded(deposit))
    kw = {"dispute_id": "dp_1", "payment_id": deposit.payment_id, "amount": 1000}

    se.post(client, se.dispute("charge.dispute.created", status="needs_response", **kw))
    se.post(client, se.dispute("charge.dispute.updated", status="under_review", **kw))
    assert funds_of(user) == 0

    se.post(client, se.dispute("charge.dispute.closed", status="won", **kw))
    se.post(client, se.dispute("charge.dispute.closed", status="won", **kw))
    assert funds_of(user) == 1000
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.debited, dispute.reversed) == ("won", True, True)
    assert Transfer.objects.filter(kind=Transfer.Kind.DISPUTE_WON).count() == 1


def test_a_lost_dispute_keeps_the_money_out_and_an_inquiry_moves_nothing(client):
    user = make_user()
    deposit = se.new_deposit(user, 1000)
    se.post(client, se.intent_succeeded(deposit))
    pid = deposit.payment_id

    se.post(
        client,
        se.dispute(
            "charge.dispute.created",
            dispute_id="dp_i",
            payment_id=pid,
            amount=300,
            status="warning_needs_response",
        ),
    )
    assert funds_of(user) == 1000

    se.post(
        client,
        se.dispute(
            "charge.dispute.closed", dispute_id="dp_l", payment_id=pid, amount=400, status="lost"
        ),
    )
    assert funds_of(user) == 600


def test_a_won_dispute_seen_before_its_creation_nets_to_zero(client):
    user = make_user()
    deposit = se.new_deposit(user, 1000)
    se.post(client, se.intent_succeeded(deposit))
    kw = {"dispute_id": "dp_2", "payment_id": deposit.payment_id, "amount": 1000}
    now = int(time.time())

    se.post(client, se.dispute("charge.dispute.closed", status="won", created=now, **kw))
    se.post(
        client,
        se.dispute("charge.dispute.created", status="needs_response", created=now - 60, **kw),
    )

    assert funds_of(user) == 1000
    assert Dispute.objects.get().status == "won"


def test_a_dispute_larger_than_the_deposit_is_rejected(client):
    user = make_user()
    deposit = se.new_deposit(user, 1000)
    se.post(client, se.intent_succeeded(deposit))
    event = se.dispute(
        "charge.dispute.created",
        dispute_id="dp_x",
        payment_id=deposit.payment_id,
        amount=5000,
        status="needs_response",
    )
    assert se.post(client, event).json()["outcome"] == "rejected"
    assert funds_of(user) == 1000


# ---- Any order, any number of times ----


def _scenario(users) -> list[dict]:
    """Events for several deposits: paid, refunded in two steps, disputed and won, lost, failed,
    and paid through Checkout; plus events we ignore and one for a stranger's payment."""
    alice, bob, carol = users
    events = []
    d1 = se.new_deposit(alice, 1000)
    events += [
        se.intent_succeeded(d1),
        se.charge_refunded(d1, payment_id=d1.payment_id, refunded=300),
        se.charge_refunded(d1, payment_id=d1.payment_id, refunded=500),
    ]
    d2 = se.new_deposit(bob, 2000)
    kw = {"dispute_id": "dp_s1", "payment_id": d2.payment_id, "amount": 1500}
    events += [
        se.intent_succeeded(d2),
        se.dispute("charge.dispute.created", status="needs_response", created=100, **kw),
        se.dispute("charge.dispute.closed", status="won", created=200, **kw),
    ]
    d3 = se.new_deposit(bob, 700)
    events += [
        se.intent_succeeded(d3),
        se.dispute(
            "charge.dispute.closed",
            dispute_id="dp_s2",
            payment_id=d3.payment_id,
            amount=700,
            status="lost",
        ),
        se.charge_refunded(d3, payment_id=d3.payment_id, refunded=700),  # more than is left
    ]
    d4 = se.new_deposit(carol, 500)
    events += [se.intent_failed(d4, payment_id=d4.payment_id)]
    d5 = se.new_deposit(carol, 1200, known=False)
    pi5 = se.next_payment_id()
    events += [
        se.checkout_completed(d5, payment_id=pi5),
        se.intent_succeeded(d5, payment_id=pi5),
        se.event("customer.created", {"id": "cus_x", "object": "customer"}),
        se.intent_succeeded(d1, payment_id="pi_stranger", metadata={}),
    ]
    return events


def test_every_webhook_replayed_three_times_in_shuffled_order_leaves_the_books_as_one_delivery_did(
    client,
):
    users = [make_user() for _ in range(3)]
    events = _scenario(users)

    with transaction.atomic():
        for event in events:
            assert se.post(client, event).status_code == 200
        once = books()
        once_deposits = {d.pk: (d.status, d.refunded_cents) for d in Deposit.objects.all()}
        transaction.set_rollback(True)
    assert StripeEvent.objects.count() == 0  # really rolled back

    deliveries = events * 3
    random.Random(20240601).shuffle(deliveries)
    for event in deliveries:
        assert se.post(client, event).status_code == 200

    assert books() == once
    assert {d.pk: (d.status, d.refunded_cents) for d in Deposit.objects.all()} == once_deposits
    assert StripeEvent.objects.count() == len(events)
    assert set(StripeEvent.objects.values_list("deliveries", flat=True)) == {3}
    alice, bob, carol = users
    assert balances_for_user(alice) == {"funds": 500, "earnings": 0, "receivable": 0}
    assert balances_for_user(bob) == {"funds": 1300, "earnings": 0, "receivable": 0}
    assert balances_for_user(carol)["funds"] == 1200
