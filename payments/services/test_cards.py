"""Deposits and automatic top-ups paid with Stripe's test cards: development and tests only.

Used when STRIPE_DEPOSIT_FLOW is "test_cards" (localstripe); production pays through Stripe
Checkout (deposits.deposit_checkout_start, auto_topup.auto_topup_checkout_start) and never
reaches this module.
"""

from __future__ import annotations

import uuid

from django.utils.translation import gettext

from payments import stripe_gateway, stripe_test_cards
from payments.errors import PaymentError
from payments.models import (
    AutoTopUp,
    Deposit,
)
from payments.services.auto_topup import auto_topup_card_store
from payments.services.deposits import (
    INTENT_STATUS,
    deposit_create,
    deposit_metadata,
    deposit_payment_update,
    deposit_status_after_error,
    deposit_validate,
    stripe_customer_for,
)


def deposit_card_start(*, user, amount_cents: int, reference: uuid.UUID, card: str) -> Deposit:
    """Charge a test card through a PaymentIntent (development and tests, on localstripe).

    Not atomic on purpose: the deposit row is committed before Stripe is called and updated
    after, so no transaction waits on the network. Nothing is credited here.
    """
    if card not in stripe_test_cards.TEST_CARDS:
        raise PaymentError("invalid_card", gettext("Choose one of the test cards."))
    deposit, created = deposit_create(
        user=user, amount_cents=amount_cents, method=Deposit.Method.CARD, reference=reference
    )
    if not created:
        return deposit
    try:
        customer_id = stripe_customer_for(user)
        payment_method = stripe_test_cards.test_card_payment_method(card)
    except stripe_gateway.GatewayError as error:  # no payment was attempted: nothing charged
        return deposit_payment_update(
            deposit_id=deposit.pk,
            payment_id="",
            status=Deposit.Status.FAILED,
            failure=error.message,
        )
    try:
        result = stripe_gateway.payment_intent_create(
            amount_cents=deposit.amount,
            currency=deposit.currency,
            customer_id=customer_id,
            payment_method_id=payment_method,
            metadata=deposit_metadata(deposit),
            idempotency_key=f"flattr-deposit-{deposit.reference}",
        )
    except stripe_gateway.GatewayError as error:
        return deposit_payment_update(
            deposit_id=deposit.pk,
            payment_id=error.payment_id,
            status=deposit_status_after_error(error),
            failure=error.message,
        )
    return deposit_payment_update(
        deposit_id=deposit.pk,
        payment_id=result.payment_id,
        status=INTENT_STATUS.get(result.status, Deposit.Status.PENDING),
        failure=result.failure,
        charge_id=result.charge_id,
    )


def deposit_authenticate_test(*, deposit: Deposit, success: bool) -> Deposit:
    """Answer the 3-D Secure challenge of a development deposit (localstripe only)."""
    if deposit.status != Deposit.Status.REQUIRES_ACTION or not deposit.payment_id:
        raise PaymentError(
            "not_waiting", gettext("This payment is not waiting for a confirmation.")
        )
    try:
        result = stripe_test_cards.payment_intent_authenticate_test(
            payment_id=deposit.payment_id, success=success
        )
    except stripe_gateway.GatewayError as error:
        return deposit_payment_update(
            deposit_id=deposit.pk,
            payment_id="",
            status=deposit_status_after_error(error),
            failure=error.message,
        )
    failure = result.failure
    if not success and not failure:
        failure = gettext("Your bank did not confirm the payment.")
    return deposit_payment_update(
        deposit_id=deposit.pk,
        payment_id=result.payment_id,
        status=INTENT_STATUS.get(result.status, Deposit.Status.PENDING),
        failure=failure,
        charge_id=result.charge_id,
    )


def auto_topup_save(*, user, amount_cents: int, card: str) -> AutoTopUp:
    """Save a test card for automatic top-ups (development, localstripe) and set the amount."""
    deposit_validate(amount_cents)
    if card not in stripe_test_cards.TEST_CARDS:
        raise PaymentError("invalid_card", gettext("Choose one of the test cards."))
    customer_id = stripe_customer_for(user)
    saved = stripe_gateway.payment_method_attach(
        payment_method_id=stripe_test_cards.test_card_payment_method(card), customer_id=customer_id
    )
    return auto_topup_card_store(
        user=user,
        payment_method_id=saved.payment_method_id,
        label=saved.label,
        amount_cents=amount_cents,
    )
