"""Stripe's test cards, for the development deposit page and the tests (localstripe only).

Kept out of payments/stripe_gateway.py so the production door to Stripe holds only what
production calls: nothing here runs unless STRIPE_DEPOSIT_FLOW is "test_cards". Like the
gateway, no function here touches the database.
"""

from __future__ import annotations

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from payments import stripe_gateway
from payments.stripe_gateway import GatewayError, PaymentResult

# Test cards offered on the deposit page in development (localstripe). `pm_card_*` ids are
# Stripe's canonical test payment methods; the 3-D Secure card is created from its number
# because localstripe has no canonical id for it.
TEST_CARDS = {
    "visa": {"payment_method": "pm_card_visa"},
    "declined": {"payment_method": "pm_card_chargeCustomerFail"},
    "3ds": {"number": "4000002500003155"},
}


def test_cards_enabled() -> bool:
    """Whether the deposit and top-up pages offer test cards (STRIPE_DEPOSIT_FLOW)."""
    return settings.STRIPE_DEPOSIT_FLOW == "test_cards"


def payment_intent_authenticate_test(*, payment_id: str, success: bool) -> PaymentResult:
    """Answer a 3-D Secure challenge as the bank would, on localstripe only.

    Real Stripe shows the bank's page in the browser (Checkout does this for us); localstripe
    has this endpoint instead, which lets the development deposit page simulate both answers.
    """
    if not settings.STRIPE_API_BASE:
        raise GatewayError(_("3-D Secure can only be simulated against localstripe."))
    client = stripe_gateway.client()
    try:
        intent = client.v1.payment_intents.retrieve(payment_id)
        response = client.raw_request(
            "post",
            f"/v1/payment_intents/{payment_id}/_authenticate",
            client_secret=intent.client_secret,
            success="true" if success else "false",
        )
    except stripe.StripeError as error:
        raise stripe_gateway.translate_error(error, payment_id=payment_id) from error
    return stripe_gateway.payment_result(client.deserialize(response, api_mode="V1"))


def test_card_payment_method(name: str) -> str:
    """Return a payment method id for one of TEST_CARDS (development and tests only)."""
    card = TEST_CARDS[name]
    if "payment_method" in card:
        return card["payment_method"]
    try:
        method = stripe_gateway.client().v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": card["number"], "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            }
        )
    except stripe.StripeError as error:
        raise stripe_gateway.translate_error(error) from error
    return method.id
