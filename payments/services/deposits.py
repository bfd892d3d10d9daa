"""Deposits, their refunds and disputes, and the Stripe customer they are paid by.

A deposit is started by the donor and decided by Stripe's webhooks: only a webhook credits
money (deposit_credit), so what the browser or an API answer says never moves the books.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from payments import stripe_gateway
from payments.errors import PaymentError
from payments.models import (
    Deposit,
    Dispute,
    StripeCustomer,
    Transfer,
)
from payments.services.ledger import Kind, system_account, transfer_post, user_account
from payments.services.receivables import receivable_settle, wallet_debit
from payments.templatetags.money import format_cents


def deposit_validate(amount_cents: int) -> None:
    """Raise PaymentError("invalid_amount") unless MIN_DEPOSIT_CENTS <= amount <= MAX."""
    if (
        not isinstance(amount_cents, int)
        or isinstance(amount_cents, bool)
        or not settings.MIN_DEPOSIT_CENTS <= amount_cents <= settings.MAX_DEPOSIT_CENTS
    ):
        raise PaymentError(
            "invalid_amount",
            gettext("A deposit is between %(min)s and %(max)s.")
            % {
                "min": format_cents(settings.MIN_DEPOSIT_CENTS),
                "max": format_cents(settings.MAX_DEPOSIT_CENTS),
            },
        )


@transaction.atomic
def deposit_create(
    *, user, amount_cents: int, method: str, reference: uuid.UUID | None = None
) -> tuple[Deposit, bool]:
    """Record that the user is about to pay `amount_cents`; return (deposit, created).

    `reference` comes from the confirmation form, so a double-clicked "Pay" finds the first
    deposit instead of charging twice.
    """
    deposit_validate(amount_cents)
    if not user.is_active:
        raise PaymentError("inactive", gettext("This account is not active."))
    reference = reference or uuid.uuid4()
    deposit, created = Deposit.objects.get_or_create(
        reference=reference,
        defaults={
            "user": user,
            "amount": amount_cents,
            "currency": settings.CURRENCY,
            "method": method,
        },
    )
    if deposit.user_id != user.pk:
        raise PaymentError("invalid_reference", gettext("This payment belongs to someone else."))
    return deposit, created


def stripe_customer_for(user) -> str:
    """Return the user's Stripe customer id, creating the customer at Stripe the first time.

    The network call happens outside any transaction; two racing requests create one customer
    (Stripe idempotency key) and one row (get_or_create).
    """
    existing = StripeCustomer.objects.filter(user=user).values_list("customer_id", flat=True)
    if existing:
        return existing[0]
    customer_id = stripe_gateway.customer_create(email=user.email, user_id=user.pk)
    row, _ = StripeCustomer.objects.get_or_create(user=user, defaults={"customer_id": customer_id})
    return row.customer_id


def deposit_metadata(deposit: Deposit) -> dict[str, str]:
    return {"flattr_deposit": str(deposit.reference), "flattr_user": str(deposit.user_id)}


# What Stripe's PaymentIntent status means for the deposit page (never for the ledger).
INTENT_STATUS = {
    "succeeded": Deposit.Status.PROCESSING,  # paid; credited when the webhook arrives
    "processing": Deposit.Status.PROCESSING,
    "requires_capture": Deposit.Status.PROCESSING,
    "requires_action": Deposit.Status.REQUIRES_ACTION,
    "requires_confirmation": Deposit.Status.PENDING,
    "requires_payment_method": Deposit.Status.FAILED,
    "canceled": Deposit.Status.CANCELED,
}


def deposit_status_after_error(error: stripe_gateway.GatewayError) -> str:
    """A decline or refusal is final; no answer at all leaves the deposit waiting for the
    webhook, which still finds it through the metadata if the charge went through."""
    if isinstance(error, stripe_gateway.GatewayUnavailable):
        return Deposit.Status.PENDING
    return Deposit.Status.FAILED


def deposit_checkout_start(
    *, user, amount_cents: int, reference: uuid.UUID, success_url: str, cancel_url: str
) -> tuple[Deposit, str | None]:
    """Open a Stripe Checkout session for a one-off top-up (production).

    Return the deposit and the URL to send the browser to (None when this form was already
    submitted, or Stripe refused; the deposit page then explains).
    """
    deposit, created = deposit_create(
        user=user, amount_cents=amount_cents, method=Deposit.Method.CHECKOUT, reference=reference
    )
    if not created:
        return deposit, None
    try:
        customer_id = stripe_customer_for(user)
        session = stripe_gateway.checkout_session_create(
            amount_cents=deposit.amount,
            currency=deposit.currency,
            customer_id=customer_id,
            reference=str(deposit.reference),
            metadata=deposit_metadata(deposit),
            product_name=gettext("Flattr funds"),
            success_url=success_url,
            cancel_url=cancel_url,
        )
    except stripe_gateway.GatewayError as error:
        deposit = deposit_payment_update(
            deposit_id=deposit.pk,
            payment_id="",
            status=Deposit.Status.FAILED,
            failure=error.message,
        )
        return deposit, None
    Deposit.objects.filter(pk=deposit.pk).update(checkout_session_id=session.session_id)
    deposit.checkout_session_id = session.session_id
    return deposit, session.url


@transaction.atomic
def deposit_payment_update(
    *, deposit_id: int, payment_id: str, status: str, failure: str = "", charge_id: str = ""
) -> Deposit:
    """Record what Stripe answered when the deposit was started (not money: only the webhook
    credits). A webhook that already decided the deposit wins over this answer. Events that
    arrived for this payment before we knew its id are applied now."""
    from payments.webhooks import payments_lock, stripe_events_replay

    payments_lock(payment_id, charge_id)
    deposit = Deposit.objects.select_for_update().get(pk=deposit_id)
    if payment_id and not deposit.payment_id:
        if Deposit.objects.filter(payment_id=payment_id).exclude(pk=deposit.pk).exists():
            raise PaymentError("payment_reused", "This payment belongs to another deposit.")
        deposit.payment_id = payment_id
    if charge_id and not deposit.charge_id:
        deposit.charge_id = charge_id
    if deposit.is_open and deposit.credited_at is None:
        deposit.status = status
        deposit.failure = failure[: Deposit.FAILURE_MAX]
    deposit.save()
    if deposit.payment_id or deposit.charge_id:
        stripe_events_replay(deposit.payment_id or "", deposit.charge_id)
    deposit.refresh_from_db()
    return deposit


def deposit_for_update(
    *,
    payment_id: str = "",
    reference: str = "",
    session_id: str = "",
    charge_id: str = "",
) -> Deposit | None:
    """Find and lock the deposit an event is about, by any id Stripe gave us; None if unknown."""
    candidates = [
        ("payment_id", payment_id),
        ("checkout_session_id", session_id),
        ("charge_id", charge_id),
    ]
    for field, value in candidates:
        if value:
            deposit = Deposit.objects.select_for_update().filter(**{field: value}).first()
            if deposit is not None:
                return deposit
    if reference:
        try:
            reference_uuid = uuid.UUID(reference)
        except ValueError:
            return None
        return Deposit.objects.select_for_update().filter(reference=reference_uuid).first()
    return None


def deposit_credit(
    *, deposit: Deposit, payment_id: str, amount_cents: int, currency: str, charge_id: str = ""
) -> bool:
    """Credit a settled payment to the depositor's funds, exactly once; True if it moved money.

    Call inside a transaction with the deposit locked (deposit_for_update). The amount and
    currency Stripe reports must be the deposit's, or PaymentError("amount_mismatch") is raised
    and nothing moves. A deposit first pays what its owner owes (refunds, disputes).
    """
    if payment_id and deposit.payment_id and payment_id != deposit.payment_id:
        raise PaymentError(
            "payment_mismatch", f"The deposit was paid by {deposit.payment_id}, not {payment_id}."
        )
    payment_id = deposit.payment_id or payment_id
    if not payment_id:
        raise PaymentError("payment_missing", "The event names no payment.")
    if amount_cents != deposit.amount or currency.upper() != deposit.currency.upper():
        raise PaymentError(
            "amount_mismatch",
            f"Stripe reports {amount_cents} {currency.upper()}, the deposit is "
            f"{deposit.amount} {deposit.currency}.",
        )
    if deposit.payment_id != payment_id:
        if Deposit.objects.filter(payment_id=payment_id).exclude(pk=deposit.pk).exists():
            raise PaymentError("payment_reused", "This payment belongs to another deposit.")
        deposit.payment_id = payment_id
    if charge_id and not deposit.charge_id:
        deposit.charge_id = charge_id
    if deposit.credited_at is not None:
        deposit.save()
        return False
    _, created = transfer_post(
        key=f"deposit:{payment_id}",
        kind=Transfer.Kind.DEPOSIT,
        debit=system_account(Kind.STRIPE),
        credit=user_account(deposit.user, Kind.FUNDS),
        amount_cents=deposit.amount,
        memo=f"Deposit {payment_id}",
    )
    deposit.status = Deposit.Status.SUCCEEDED
    deposit.failure = ""
    deposit.credited_at = timezone.now()
    deposit.save()
    receivable_settle(user=deposit.user, key=f"settle:deposit:{payment_id}")
    return created


def deposit_fail(*, deposit: Deposit, status: str, failure: str) -> bool:
    """Mark a deposit failed or canceled (no money moves); False if it was already credited."""
    if deposit.credited_at is not None:
        return False
    deposit.status = status
    deposit.failure = failure[: Deposit.FAILURE_MAX]
    deposit.save(update_fields=["status", "failure", "updated_at"])
    return True


def deposit_refund_record(*, deposit: Deposit, refunded_total_cents: int) -> int:
    """Debit what Stripe refunded on this deposit beyond what was already debited; return it.

    Stripe reports the cumulative refunded amount, so duplicates and stale events (a smaller
    total after a larger one) change nothing. The deposit must be credited and locked.
    """
    if deposit.credited_at is None:
        raise PaymentError("not_credited", "A refund needs a credited deposit.")
    if refunded_total_cents > deposit.amount:
        raise PaymentError(
            "amount_mismatch",
            f"Stripe reports {refunded_total_cents} refunded on a deposit of {deposit.amount}.",
        )
    delta = refunded_total_cents - deposit.refunded_cents
    if delta <= 0:
        return 0
    wallet_debit(
        user=deposit.user,
        amount_cents=delta,
        kind=Transfer.Kind.REFUND,
        key=f"refund:{deposit.payment_id}:{refunded_total_cents}",
        memo=f"Refund of deposit {deposit.payment_id}",
    )
    deposit.refunded_cents = refunded_total_cents
    deposit.save(update_fields=["refunded_cents", "updated_at"])
    return delta


def dispute_record(
    *,
    deposit: Deposit,
    dispute_id: str,
    amount_cents: int,
    status: str,
    reason: str,
    event_created: int,
) -> list[str]:
    """Apply what an event says about a dispute on a credited, locked deposit.

    A real dispute (not an inquiry) takes its amount from the wallet once; a dispute won gives
    it back once. Any order works: a `won` seen first books the debit and its reversal together.
    Return the effects booked ("debited", "reversed").
    """
    if deposit.credited_at is None:
        raise PaymentError("not_credited", "A dispute needs a credited deposit.")
    if amount_cents > deposit.amount:
        raise PaymentError(
            "amount_mismatch",
            f"A dispute of {amount_cents} on a deposit of {deposit.amount}.",
        )
    dispute, created = Dispute.objects.select_for_update().get_or_create(
        dispute_id=dispute_id,
        defaults={
            "deposit": deposit,
            "amount": amount_cents,
            "status": status,
            "status_at": event_created,
            "reason": reason[: Dispute.REASON_MAX],
        },
    )
    if dispute.deposit_id != deposit.pk:
        raise PaymentError("dispute_mismatch", "The dispute belongs to another deposit.")
    if not created and event_created >= dispute.status_at:
        dispute.status = status
        dispute.status_at = event_created
    effects = []
    withdrawing = status in Dispute.WITHDRAWING_STATUSES
    if withdrawing and not dispute.debited:
        wallet_debit(
            user=deposit.user,
            amount_cents=dispute.amount,
            kind=Transfer.Kind.DISPUTE,
            key=f"dispute:{dispute_id}",
            memo=f"Card dispute {dispute_id} on deposit {deposit.payment_id}",
        )
        dispute.debited = True
        effects.append("debited")
    if status == "won" and dispute.debited and not dispute.reversed:
        transfer_post(
            key=f"dispute_won:{dispute_id}",
            kind=Transfer.Kind.DISPUTE_WON,
            debit=system_account(Kind.STRIPE),
            credit=user_account(deposit.user, Kind.FUNDS),
            amount_cents=dispute.amount,
            memo=f"Card dispute {dispute_id} decided in your favour",
        )
        receivable_settle(user=deposit.user, key=f"settle:dispute_won:{dispute_id}")
        dispute.reversed = True
        effects.append("reversed")
    dispute.save()
    return effects


def deposit_refund_request(*, deposit: Deposit, amount_cents: int | None = None) -> str:
    """Ask Stripe to refund a credited deposit (an admin action); return the refund id.

    The books move when Stripe's `charge.refunded` webhook arrives, like any other refund.
    """
    if deposit.credited_at is None or not deposit.payment_id:
        raise PaymentError("not_credited", gettext("Only a credited deposit can be refunded."))
    remaining = deposit.amount - deposit.refunded_cents
    amount = remaining if amount_cents is None else amount_cents
    if not isinstance(amount, int) or not 0 < amount <= remaining:
        message = gettext("At most %(amount)s can be refunded.")
        raise PaymentError("invalid_amount", message % {"amount": format_cents(remaining)})
    return stripe_gateway.refund_create(
        payment_id=deposit.payment_id,
        amount_cents=amount,
        idempotency_key=f"flattr-refund-{deposit.payment_id}-{deposit.refunded_cents + amount}",
    )
