"""The database connection cut in the middle of a Stripe webhook (pg_terminate_backend of the
request's own backend, after the deposit's transfer is written and before the deposit is
marked): nothing is half-applied, Stripe's redelivery credits once, a further one is a
duplicate."""

import psycopg
import pytest
from django.db import connection
from django.test import Client

from payments.models import Deposit, StripeEvent, Transfer
from payments.selectors import balances_for_user, ledger_check
from payments.services import deposits as deposit_services
from tests.factories import make_user
from tests.payments import stripe_events as se


@pytest.mark.django_db(transaction=True)
def test_a_connection_cut_mid_webhook_leaves_nothing_and_the_redelivery_credits_once(
    monkeypatch,
):
    user = make_user()
    deposit = se.new_deposit(user, 2500)
    event = se.intent_succeeded(deposit)
    real = deposit_services.transfer_post
    cut = []

    def post_then_cut(**kwargs):
        result = real(**kwargs)  # the deposit's transfer is written inside the transaction
        pid = connection.connection.info.backend_pid
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        cut.append(pid)
        return result

    monkeypatch.setattr(deposit_services, "transfer_post", post_then_cut)
    stripe = Client(raise_request_exception=False)
    first = se.post(stripe, event)
    monkeypatch.setattr(deposit_services, "transfer_post", real)
    connection.close()  # the test shares the request's (dead) connection: open a new one

    assert cut and first.status_code >= 500  # Stripe redelivers anything but a 2xx
    deposit.refresh_from_db()
    assert deposit.status != Deposit.Status.SUCCEEDED and deposit.credited_at is None
    assert not Transfer.objects.filter(kind=Transfer.Kind.DEPOSIT).exists()
    assert not StripeEvent.objects.filter(event_id=event["id"]).exists()
    assert balances_for_user(user)["funds"] == 0
    assert ledger_check() == []

    again = se.post(stripe, event)
    once_more = se.post(stripe, event)

    assert (again.status_code, again.json()["outcome"]) == (200, "applied")
    assert (once_more.status_code, once_more.json()["outcome"]) == (200, "duplicate")
    assert balances_for_user(user)["funds"] == 2500
    assert Transfer.objects.filter(kind=Transfer.Kind.DEPOSIT).count() == 1
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SUCCEEDED
    assert StripeEvent.objects.get(event_id=event["id"]).deliveries == 2
