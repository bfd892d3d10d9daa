"""Concurrent deliveries and transfers, each thread with its own database connection."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from payments.models import LedgerAccount, StripeEvent, Transfer
from payments.selectors import balances_for_user, ledger_check
from payments.services import transfer_post, user_account
from tests.factories import make_user
from tests.payments import stripe_events as se

pytestmark = pytest.mark.django_db(transaction=True)
Kind = LedgerAccount.Kind


def run_in_threads(functions) -> list:
    """Start every function at the same moment in its own thread; return results in order
    (an exception is returned, not raised, so the test can assert on all of them)."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def worker(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # reported to the test, not raised
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=pair) for pair in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return results


def _deliver(event: dict):
    payload = json.dumps(event).encode()
    header = se.signature(payload)

    def deliver():
        response = Client().post(
            "/payments/stripe/webhook/",
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )
        return response.status_code, response.json().get("outcome")

    return deliver


def test_twenty_concurrent_deliveries_of_the_same_event_credit_once():
    user = make_user()
    deposit = se.new_deposit(user, 1234)
    event = se.intent_succeeded(deposit)

    results = run_in_threads([_deliver(event) for _ in range(20)])

    assert sorted(results) == [(200, "applied")] + [(200, "duplicate")] * 19
    assert balances_for_user(user)["funds"] == 1234
    assert Transfer.objects.filter(kind=Transfer.Kind.DEPOSIT).count() == 1
    assert StripeEvent.objects.get().deliveries == 20


def test_different_events_about_one_payment_arriving_together_apply_once_each():
    user = make_user()
    deposit = se.new_deposit(user, 2000, known=False)
    payment_id = se.next_payment_id()
    events = [
        se.checkout_completed(deposit, payment_id=payment_id),
        se.intent_succeeded(deposit, payment_id=payment_id),
        se.charge_refunded(deposit, payment_id=payment_id, refunded=500),
        se.charge_refunded(deposit, payment_id=payment_id, refunded=800),
        se.dispute(
            "charge.dispute.created",
            dispute_id="dp_c",
            payment_id=payment_id,
            amount=1200,
            status="needs_response",
        ),
    ]

    results = run_in_threads([_deliver(event) for event in events for _ in range(4)])

    assert all(isinstance(result, tuple) and result[0] == 200 for result in results), results
    assert balances_for_user(user) == {"funds": 0, "earnings": 0, "receivable": 0}
    assert Transfer.objects.filter(kind=Transfer.Kind.DEPOSIT).count() == 1
    assert StripeEvent.objects.count() == len(events)
    assert ledger_check() == []


def test_transfers_in_opposite_directions_from_two_threads_do_not_deadlock():
    alice, bob = make_user(), make_user()
    stripe = LedgerAccount.objects.create(kind=Kind.STRIPE, label="Stripe clearing")
    alice_funds, bob_funds = user_account(alice, Kind.FUNDS), user_account(bob, Kind.FUNDS)
    for n, account in enumerate((alice_funds, bob_funds)):
        transfer_post(
            key=f"seed:{n}", kind="deposit", debit=stripe, credit=account, amount_cents=10_000
        )
    rounds = 60

    def sender(name, debit, credit):
        def send():
            for n in range(rounds):
                transfer_post(
                    key=f"{name}:{n}",
                    kind=Transfer.Kind.INTERNAL,
                    debit=debit,
                    credit=credit,
                    amount_cents=7,
                )
            return "done"

        return send

    results = run_in_threads(
        [
            sender("a-to-b", alice_funds, bob_funds),
            sender("b-to-a", bob_funds, alice_funds),
        ]
    )

    assert results == ["done", "done"]
    assert balances_for_user(alice)["funds"] == balances_for_user(bob)["funds"] == 10_000
    assert Transfer.objects.filter(kind=Transfer.Kind.INTERNAL).count() == 2 * rounds
