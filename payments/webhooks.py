"""Stripe webhook events: recorded once per event id, applied to the books in the same transaction.

`stripe_event_process` takes an event already verified by `stripe_gateway.webhook_event_construct`
and returns its outcome. The event row and the event's effect commit together, so a redelivery
(even a concurrent one: it waits on the unique event id) changes nothing. Deposits are credited
once per PaymentIntent (transfer key `deposit:<payment_intent_id>`), whichever event says so
first: `payment_intent.succeeded`, `checkout.session.completed` or even a refund or dispute
(a refunded or disputed charge was paid).

Handled event types (everything else is recorded as ignored and answered 200):

- payment_intent.succeeded, checkout.session.completed (when paid),
  checkout.session.async_payment_succeeded: credit the deposit;
- payment_intent.payment_failed, payment_intent.canceled, checkout.session.async_payment_failed,
  checkout.session.expired: mark the deposit failed (no money moves);
- charge.refunded: debit the cumulative refunded amount not yet debited;
- charge.dispute.created/updated/closed/funds_withdrawn/funds_reinstated: debit a real dispute
  once, give it back once if won;
- payout.paid: settle the payout; payout.failed, transfer.reversed: reverse it exactly, once
  (a second event about the same payout finds it failed and changes nothing);
- account.updated: store a payout account's readiness and bank.

An event about a payment we do not know is kept as `unmatched` (no money moves) and applied if a
deposit with that payment id appears later; a payout event that overtakes our record of the
payout's Stripe id (the bank payout is made before its id is saved) is kept the same way and
applied when `payout_send` saves the id. An event that contradicts its deposit (amount or
currency) is kept as `rejected` with the reason, for an admin. A signed event whose fields are
not what Stripe sends raises WebhookPayloadError (the view answers 400, nothing is written).
"""

from __future__ import annotations

import json
import zlib

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from payments import services, stripe_gateway
from payments.errors import PaymentError
from payments.models import Deposit, Payout, StripeEvent

Outcome = StripeEvent.Outcome
MAX_CENTS = 2**53  # far above any real payment; keeps arithmetic and BIGINT columns safe
MAX_TIMESTAMP = 2**40
# The first key of the transaction-scoped advisory locks on Stripe payments (payments_lock); the
# second is a hash of the payment id. Its own namespace, so it never meets payday's lock.
PAYMENT_LOCK_NAMESPACE = 7203


class WebhookPayloadError(Exception):
    """A verified event without the fields its type must have."""


def _str(obj: dict, name: str, *, required: bool = False) -> str:
    value = obj.get(name)
    if isinstance(value, dict):  # an expanded object: use its id
        value = value.get("id")
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise WebhookPayloadError(f"`{name}` must be a string.")
    return value


def _cents(obj: dict, name: str) -> int:
    value = obj.get(name)
    if type(value) is not int or not 0 <= value <= MAX_CENTS:  # not bool, not float
        raise WebhookPayloadError(f"`{name}` must be a non-negative whole number of cents.")
    return value


def _reference(obj: dict) -> str:
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise WebhookPayloadError("`metadata` must be an object.")
    reference = metadata.get("flattr_deposit", "")
    return reference if isinstance(reference, str) else ""


# Each handler gets the event's data.object, applies it under the deposit's row lock, and
# returns (outcome, deposit or None, payment id, note).


def _intent_succeeded(event: dict, obj: dict):
    payment_id = _str(obj, "id", required=True)
    amount = _cents(obj, "amount_received") if "amount_received" in obj else _cents(obj, "amount")
    currency = _str(obj, "currency", required=True)
    deposit = services.deposit_for_update(payment_id=payment_id, reference=_reference(obj))
    if deposit is None:
        return Outcome.UNMATCHED, None, payment_id, ""
    moved = services.deposit_credit(
        deposit=deposit,
        payment_id=payment_id,
        amount_cents=amount,
        currency=currency,
        charge_id=_str(obj, "latest_charge"),
    )
    return Outcome.APPLIED, deposit, payment_id, "credited" if moved else "already credited"


def _intent_failed(event: dict, obj: dict):
    payment_id = _str(obj, "id", required=True)
    deposit = services.deposit_for_update(payment_id=payment_id, reference=_reference(obj))
    if deposit is None:
        return Outcome.UNMATCHED, None, payment_id, ""
    if not deposit.payment_id and not Deposit.objects.filter(payment_id=payment_id).exists():
        deposit.payment_id = payment_id
        deposit.save(update_fields=["payment_id", "updated_at"])
    error = obj.get("last_payment_error") or {}
    message = error.get("message", "") if isinstance(error, dict) else ""
    canceled = event["type"] == "payment_intent.canceled"
    status = Deposit.Status.CANCELED if canceled else Deposit.Status.FAILED
    changed = services.deposit_fail(deposit=deposit, status=status, failure=str(message))
    return Outcome.APPLIED, deposit, payment_id, "marked failed" if changed else "already credited"


def _checkout_completed(event: dict, obj: dict):
    session_id = _str(obj, "id", required=True)
    if obj.get("mode") == "setup":
        return Outcome.IGNORED, None, "", "card setup sessions are handled by the card page"
    payment_id = _str(obj, "payment_intent")
    reference = _str(obj, "client_reference_id") or _reference(obj)
    deposit = services.deposit_for_update(
        payment_id=payment_id, session_id=session_id, reference=reference
    )
    if deposit is None:
        return Outcome.UNMATCHED, None, payment_id, ""
    if obj.get("payment_status") not in ("paid", "no_payment_required"):
        # Paid later (bank debits): checkout.session.async_payment_succeeded will say so.
        return Outcome.APPLIED, deposit, payment_id, "waiting for the payment to clear"
    moved = services.deposit_credit(
        deposit=deposit,
        payment_id=payment_id,
        amount_cents=_cents(obj, "amount_total"),
        currency=_str(obj, "currency", required=True),
    )
    return Outcome.APPLIED, deposit, payment_id, "credited" if moved else "already credited"


def _checkout_failed(event: dict, obj: dict):
    session_id = _str(obj, "id", required=True)
    if obj.get("mode") == "setup":
        return Outcome.IGNORED, None, "", ""
    payment_id = _str(obj, "payment_intent")
    reference = _str(obj, "client_reference_id") or _reference(obj)
    deposit = services.deposit_for_update(
        payment_id=payment_id, session_id=session_id, reference=reference
    )
    if deposit is None:
        return Outcome.UNMATCHED, None, payment_id, ""
    expired = event["type"] == "checkout.session.expired"
    status = Deposit.Status.CANCELED if expired else Deposit.Status.FAILED
    changed = services.deposit_fail(deposit=deposit, status=status, failure="")
    return Outcome.APPLIED, deposit, payment_id, "marked failed" if changed else "already credited"


def _credited_deposit(obj: dict, *, payment_id: str, charge_id: str, charge_amount: int | None):
    """Find the deposit a refund or dispute is about and make sure it is credited first: a
    refunded or disputed charge was paid, whatever order the events come in."""
    deposit = services.deposit_for_update(
        payment_id=payment_id, charge_id=charge_id, reference=_reference(obj)
    )
    if deposit is None:
        return None
    if deposit.credited_at is None:
        services.deposit_credit(
            deposit=deposit,
            payment_id=payment_id,
            amount_cents=deposit.amount if charge_amount is None else charge_amount,
            currency=_str(obj, "currency", required=True),
            charge_id=charge_id,
        )
    return deposit


def _charge_refunded(event: dict, obj: dict):
    charge_id = _str(obj, "id", required=True)
    payment_id = _str(obj, "payment_intent")
    refunded = _cents(obj, "amount_refunded")
    deposit = _credited_deposit(
        obj, payment_id=payment_id, charge_id=charge_id, charge_amount=_cents(obj, "amount")
    )
    if deposit is None:
        return Outcome.UNMATCHED, None, payment_id or charge_id, ""
    debited = services.deposit_refund_record(deposit=deposit, refunded_total_cents=refunded)
    return Outcome.APPLIED, deposit, deposit.payment_id, f"debited {debited}"


def _dispute(event: dict, obj: dict):
    dispute_id = _str(obj, "id", required=True)
    charge_id = _str(obj, "charge")
    payment_id = _str(obj, "payment_intent")
    amount = _cents(obj, "amount")
    if amount == 0:
        raise WebhookPayloadError("A dispute of 0 cents.")
    status = _str(obj, "status", required=True)
    deposit = _credited_deposit(obj, payment_id=payment_id, charge_id=charge_id, charge_amount=None)
    if deposit is None:
        return Outcome.UNMATCHED, None, payment_id or charge_id, ""
    effects = services.dispute_record(
        deposit=deposit,
        dispute_id=dispute_id,
        amount_cents=amount,
        status=status,
        reason=_str(obj, "reason"),
        event_created=event["created"],
    )
    return Outcome.APPLIED, deposit, deposit.payment_id, ", ".join(effects) or "no change"


def _payout_named_by(obj: dict, field: str) -> Payout | None:
    own_id = _str(obj, "id", required=True)
    return Payout.objects.filter(**{field: own_id}).first()


def _payout_paid(event: dict, obj: dict):
    payout = _payout_named_by(obj, "stripe_payout_id")
    if payout is None:
        return Outcome.UNMATCHED, None, _str(obj, "id"), "no payout with this id (yet)"
    settled = services.payout_settle(payout_id=payout.pk)
    return (
        Outcome.APPLIED,
        None,
        "",
        f"payout {payout.pk} " + ("settled" if settled else "no change"),
    )


def _payout_failed(event: dict, obj: dict):
    """The bank refused the payout: the money is back on the recipient's Stripe account. Our
    books reverse now; taking the transfer back at Stripe is a task after commit."""
    payout = _payout_named_by(obj, "stripe_payout_id")
    if payout is None:
        return Outcome.UNMATCHED, None, _str(obj, "id"), "no payout with this id (yet)"
    reason = _str(obj, "failure_message") or _str(obj, "failure_code")
    failed = services.payout_fail(payout_id=payout.pk, reason=reason)
    if failed:
        from payments.tasks import payout_transfer_reverse_task

        payout_id = payout.pk
        transaction.on_commit(
            lambda: payout_transfer_reverse_task.delay(payout_id=payout_id), robust=True
        )
    return (
        Outcome.APPLIED,
        None,
        "",
        f"payout {payout.pk} " + ("reversed" if failed else "no change"),
    )


def _transfer_reversed(event: dict, obj: dict):
    payout = _payout_named_by(obj, "transfer_id")
    if payout is None:
        return Outcome.UNMATCHED, None, _str(obj, "id"), "no payout with this transfer (yet)"
    failed = services.payout_fail(payout_id=payout.pk, reason="The transfer was reversed.")
    return (
        Outcome.APPLIED,
        None,
        "",
        f"payout {payout.pk} " + ("reversed" if failed else "no change"),
    )


def _account_updated(event: dict, obj: dict):
    account = services.payout_account_apply(state=stripe_gateway.connect_account_parse(obj))
    if account is None:
        return Outcome.UNMATCHED, None, "", "no payout account with this id"
    return Outcome.APPLIED, None, "", f"payout account {account.pk}: {account.status}"


HANDLERS = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "payment_intent.canceled": _intent_failed,
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_completed,
    "checkout.session.async_payment_failed": _checkout_failed,
    "checkout.session.expired": _checkout_failed,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute,
    "charge.dispute.updated": _dispute,
    "charge.dispute.closed": _dispute,
    "charge.dispute.funds_withdrawn": _dispute,
    "charge.dispute.funds_reinstated": _dispute,
    "payout.paid": _payout_paid,
    "payout.failed": _payout_failed,
    "transfer.reversed": _transfer_reversed,
    "account.updated": _account_updated,
}


def _event_fields(event: dict) -> tuple[str, str, int, dict]:
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(event_id, str) or not event_id.startswith("evt_") or len(event_id) > 255:
        raise WebhookPayloadError("The event has no valid id.")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 100:
        raise WebhookPayloadError("The event has no valid type.")
    if type(created) is not int or not 0 < created < MAX_TIMESTAMP:
        raise WebhookPayloadError("The event has no valid `created` time.")
    if not isinstance(obj, dict):
        raise WebhookPayloadError("The event has no data.object.")
    return event_id, event_type, created, obj


def _payment_ids(obj: dict) -> list[str]:
    """Return the Stripe payment and charge ids an event object names."""
    own_id = obj.get("id") if isinstance(obj.get("id"), str) else ""
    ids = {_str(obj, "payment_intent"), _str(obj, "charge"), _str(obj, "latest_charge")}
    if own_id.startswith(("pi_", "ch_", "py_", "po_", "tr_")):
        ids.add(own_id)
    return sorted(i for i in ids if i)


def payments_lock(*payment_ids: str) -> None:
    """Serialise work on these Stripe payments (transaction-scoped advisory locks, sorted).

    An event about a payment whose deposit has not learnt its id yet is kept as `unmatched`;
    the deposit, when it learns the id, replays such events. Both sides take this lock first,
    so an event is either recorded before the replay looks, or sees the deposit.
    """
    keys = sorted({zlib.crc32(f"stripe-payment:{pid}".encode()) for pid in payment_ids if pid})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [PAYMENT_LOCK_NAMESPACE, key - 2**31]
            )


def _deposit_named_by(obj: dict) -> Deposit | None:
    own_id = obj.get("id") if isinstance(obj.get("id"), str) else ""
    return services.deposit_for_update(
        payment_id=_str(obj, "payment_intent") or (own_id if own_id.startswith("pi_") else ""),
        session_id=own_id if own_id.startswith("cs_") else "",
        charge_id=_str(obj, "charge") or (own_id if own_id.startswith("ch_") else ""),
        reference=_str(obj, "client_reference_id") or _reference(obj),
    )


def _apply(row: StripeEvent, event: dict, obj: dict) -> None:
    """Run the event's handler in a savepoint and store its outcome on the row. A contradiction
    (PaymentError) rolls the handler's writes back and leaves the event `rejected`."""
    handler = HANDLERS.get(row.type)
    if handler is None:
        row.outcome, row.error = Outcome.IGNORED, ""
    else:
        try:
            with transaction.atomic():
                outcome, deposit, payment_id, note = handler(event, obj)
        except PaymentError as error:
            row.outcome, row.error = Outcome.REJECTED, f"{error.code}: {error.message}"
            deposit = _deposit_named_by(obj)
            mismatch = error.code == "amount_mismatch"
            if deposit is not None and mismatch and deposit.credited_at is None:
                deposit.status = Deposit.Status.REJECTED
                deposit.failure = error.message[: Deposit.FAILURE_MAX]
                deposit.save(update_fields=["status", "failure", "updated_at"])
            row.deposit = deposit
            row.payment_id = (deposit.payment_id if deposit else "") or next(
                iter(_payment_ids(obj)), ""
            )
        else:
            row.outcome, row.error = outcome, note
            row.deposit = deposit
            row.payment_id = payment_id or row.payment_id
    row.processed_at = timezone.now()
    row.save()
    if row.outcome == Outcome.APPLIED and row.deposit is not None:
        # The event may have taught the deposit its payment or charge id (Checkout, a webhook
        # ahead of the page): events kept earlier for those ids apply now.
        stripe_events_replay(row.deposit.payment_id or "", row.deposit.charge_id)


@transaction.atomic
def stripe_event_process(*, event: dict) -> str:
    """Record a verified Stripe event once and apply it; return its outcome (or "duplicate").

    The insert of the event id waits for any concurrent delivery of the same event to commit,
    then finds the row and does nothing: the event and its effect are one transaction.
    """
    event_id, event_type, created, obj = _event_fields(event)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO payments_stripeevent
                (event_id, type, created, livemode, payment_id, outcome, error, payload,
                 deliveries, received_at)
            VALUES (%s, %s, %s, %s, '', %s, '', %s::jsonb, 1, now())
            ON CONFLICT (event_id) DO NOTHING
            RETURNING id
            """,
            [
                event_id,
                event_type,
                created,
                bool(event.get("livemode")),
                Outcome.IGNORED,
                json.dumps(event),
            ],
        )
        inserted = cursor.fetchone()
    if inserted is None:
        StripeEvent.objects.filter(event_id=event_id).update(deliveries=F("deliveries") + 1)
        return "duplicate"
    row = StripeEvent.objects.get(pk=inserted[0])
    payments_lock(*_payment_ids(obj))
    _apply(row, event, obj)
    return row.outcome


def stripe_events_replay(*payment_ids: str) -> int:
    """Apply the events kept as `unmatched` for payments that now have a deposit; return how
    many. Called inside the caller's transaction, after payments_lock, when a deposit learns its
    payment or charge id. Events are applied in the order Stripe created them.
    """
    rows = list(
        StripeEvent.objects.select_for_update()
        .filter(outcome=Outcome.UNMATCHED, payment_id__in=[p for p in payment_ids if p])
        .order_by("created", "id")
    )
    applied = 0
    for row in rows:
        row.refresh_from_db()
        if row.outcome != Outcome.UNMATCHED:
            continue  # applied meanwhile by a nested replay
        event = row.payload
        _apply(row, event, event["data"]["object"])
        applied += 1
    return applied
