"""The one door to Stripe: every Stripe API call and webhook verification goes through here.

Configured from settings: STRIPE_SECRET_KEY, STRIPE_API_BASE (localstripe on loopback in
development and tests), STRIPE_CONNECT_API_BASE (Connect: payments/fake_connect.py there, as
localstripe has none) and STRIPE_WEBHOOK_SECRET. Functions take and return plain values
(ids, cents, small dataclasses), so the rest of the app never sees a Stripe object and tests can
replace this module's functions at the edge.

Errors come out as `GatewayError` subclasses with a stable `code` and a message fit for the
user. No function here touches the database, so callers never hold a transaction open across a
network call.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

# Network retries: none in development and tests (localstripe answers or it does not, and a
# retry would only hide a bug); Stripe's recommended two in production, where every mutating
# call carries an idempotency key so a retry cannot charge twice.
PRODUCTION_NETWORK_RETRIES = 2


class GatewayError(Exception):
    """Stripe refused or could not be reached. `code` is stable, `message` is for people."""

    code = "stripe_error"

    def __init__(self, message: str, *, payment_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.payment_id = payment_id


class CardDeclined(GatewayError):
    code = "card_declined"


class GatewayUnavailable(GatewayError):
    """No answer from Stripe: the outcome of a charge is unknown until its webhook arrives."""

    code = "stripe_unavailable"


class WebhookSignatureInvalid(Exception):
    """The request is not signed by Stripe with our webhook secret (or is too old)."""


class WebhookPayloadInvalid(Exception):
    """The signed body is not a JSON object (truncated, not UTF-8, …)."""


@dataclass(frozen=True)
class PaymentResult:
    payment_id: str
    status: str  # Stripe's PaymentIntent status
    charge_id: str = ""
    failure: str = ""


@dataclass(frozen=True)
class CheckoutSession:
    session_id: str
    url: str


@dataclass(frozen=True)
class SavedCard:
    payment_method_id: str
    label: str  # e.g. "visa •••• 4242"


def _connect_client() -> stripe.StripeClient:
    """Return a client for the Connect calls (payout accounts, transfers, payouts)."""
    retries = PRODUCTION_NETWORK_RETRIES if settings.PRODUCTION else 0
    base = settings.STRIPE_CONNECT_API_BASE or settings.STRIPE_API_BASE
    return _client_for(settings.STRIPE_SECRET_KEY, base, retries)


@functools.cache
def _client_for(api_key: str, api_base: str, retries: int) -> stripe.StripeClient:
    base_addresses = {"api": api_base} if api_base else None
    return stripe.StripeClient(api_key, base_addresses=base_addresses, max_network_retries=retries)


def client() -> stripe.StripeClient:
    """Return a client for the current settings (tests point STRIPE_API_BASE at their own
    localstripe, so the client is looked up per call, cached per configuration)."""
    retries = PRODUCTION_NETWORK_RETRIES if settings.PRODUCTION else 0
    return _client_for(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, retries)


def translate_error(error: stripe.StripeError, *, payment_id: str = "") -> GatewayError:
    if isinstance(error, stripe.CardError):
        return CardDeclined(error.user_message or str(error), payment_id=payment_id)
    if isinstance(error, (stripe.APIConnectionError, stripe.RateLimitError)):
        return GatewayUnavailable(_("Stripe could not be reached just now."), payment_id=payment_id)
    if isinstance(error, stripe.APIError) and (error.http_status or 500) >= 500:
        return GatewayUnavailable(_("Stripe had a problem just now."), payment_id=payment_id)
    return GatewayError(error.user_message or str(error), payment_id=payment_id)


def _id_of(value) -> str:
    """Return the id of an expandable field (Stripe sends either the id or the object)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return getattr(value, "id", "") or ""


def customer_create(*, email: str, user_id: int) -> str:
    """Create a Stripe customer for a user and return its id."""
    try:
        customer = client().v1.customers.create(
            params={"email": email, "metadata": {"flattr_user": str(user_id)}},
            options={"idempotency_key": f"flattr-customer-{user_id}"},
        )
    except stripe.StripeError as error:
        raise translate_error(error) from error
    return customer.id


def payment_intent_create(
    *,
    amount_cents: int,
    currency: str,
    customer_id: str,
    payment_method_id: str,
    metadata: dict[str, str],
    idempotency_key: str,
    off_session: bool = False,
) -> PaymentResult:
    """Create and confirm a PaymentIntent with a payment method in one call.

    `off_session=True` charges a saved card with nobody at the keyboard (automatic top-ups).
    A decline raises CardDeclined; a 3-D Secure card returns status `requires_action`.
    """
    params = {
        "amount": amount_cents,
        "currency": currency.lower(),
        "customer": customer_id,
        "payment_method": payment_method_id,
        "confirm": True,
        "metadata": metadata,
    }
    if off_session:
        params["off_session"] = True
    try:
        intent = client().v1.payment_intents.create(
            params=params, options={"idempotency_key": idempotency_key}
        )
    except stripe.StripeError as error:
        intent_id = _id_of((error.json_body or {}).get("error", {}).get("payment_intent"))
        raise translate_error(error, payment_id=intent_id) from error
    return payment_result(intent)


def payment_result(intent) -> PaymentResult:
    failure = ""
    last_error = getattr(intent, "last_payment_error", None)
    if last_error:
        failure = getattr(last_error, "message", "") or getattr(last_error, "code", "") or ""
    return PaymentResult(
        payment_id=intent.id,
        status=intent.status,
        charge_id=_id_of(getattr(intent, "latest_charge", None)),
        failure=failure,
    )


def payment_method_attach(*, payment_method_id: str, customer_id: str) -> SavedCard:
    """Save a card on the customer for later off-session charges."""
    try:
        method = client().v1.payment_methods.attach(
            payment_method_id, params={"customer": customer_id}
        )
    except stripe.StripeError as error:
        raise translate_error(error) from error
    return _saved_card(method)


def _saved_card(method) -> SavedCard:
    card = getattr(method, "card", None)
    brand = getattr(card, "brand", None) or "card"
    last4 = getattr(card, "last4", None) or "????"
    label = f"{brand} •••• {last4}"
    return SavedCard(payment_method_id=method.id, label=label)


def checkout_session_create(
    *,
    amount_cents: int,
    currency: str,
    customer_id: str,
    reference: str,
    metadata: dict[str, str],
    product_name: str,
    success_url: str,
    cancel_url: str,
) -> CheckoutSession:
    """Create a Stripe Checkout session for a one-off top-up and return its id and URL.

    The metadata goes on the session and on its PaymentIntent, so both
    `checkout.session.completed` and `payment_intent.succeeded` lead back to the deposit.
    """
    try:
        session = client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "customer": customer_id,
                "client_reference_id": reference,
                "metadata": metadata,
                "payment_intent_data": {"metadata": metadata},
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": currency.lower(),
                            "unit_amount": amount_cents,
                            "product_data": {"name": product_name},
                        },
                    }
                ],
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
            options={"idempotency_key": f"flattr-checkout-{reference}"},
        )
    except stripe.StripeError as error:
        raise translate_error(error) from error
    return CheckoutSession(session_id=session.id, url=session.url)


def checkout_setup_session_create(
    *, customer_id: str, reference: str, success_url: str, cancel_url: str
) -> CheckoutSession:
    """Create a Checkout session in setup mode: the donor saves a card for automatic top-ups."""
    try:
        session = client().v1.checkout.sessions.create(
            params={
                "mode": "setup",
                "currency": settings.CURRENCY.lower(),
                "customer": customer_id,
                "client_reference_id": reference,
                "metadata": {"flattr_card_setup": reference},
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
            options={"idempotency_key": f"flattr-setup-{reference}"},
        )
    except stripe.StripeError as error:
        raise translate_error(error) from error
    return CheckoutSession(session_id=session.id, url=session.url)


def checkout_setup_card(*, session_id: str) -> tuple[str, SavedCard]:
    """Return (customer id, saved card) of a completed setup-mode Checkout session."""
    try:
        session = client().v1.checkout.sessions.retrieve(
            session_id, params={"expand": ["setup_intent.payment_method"]}
        )
    except stripe.StripeError as error:
        raise translate_error(error) from error
    intent = session.setup_intent
    if session.mode != "setup" or not intent or getattr(intent, "status", "") != "succeeded":
        raise GatewayError(_("The card was not saved."))
    method = intent.payment_method
    if isinstance(method, str) or method is None:
        raise GatewayError(_("The card was not saved."))
    return _id_of(session.customer), _saved_card(method)


def refund_create(*, payment_id: str, amount_cents: int | None, idempotency_key: str) -> str:
    """Ask Stripe to refund a payment (all of it when amount_cents is None); return the refund id.

    The ledger does not move here: Stripe's `charge.refunded` webhook debits the wallet.
    """
    params: dict = {"payment_intent": payment_id}
    if amount_cents is not None:
        params["amount"] = amount_cents
    try:
        refund = client().v1.refunds.create(
            params=params, options={"idempotency_key": idempotency_key}
        )
    except stripe.StripeError as error:
        raise translate_error(error, payment_id=payment_id) from error
    return refund.id


@dataclass(frozen=True)
class ConnectAccount:
    """What Stripe says about a recipient's Express account, in the terms the page uses."""

    account_id: str
    details_submitted: bool
    payouts_enabled: bool
    currently_due: tuple[str, ...]
    disabled_reason: str
    bank_account_id: str
    bank_label: str  # e.g. "DE •••• 3000"


def connect_account_create(*, user_id: int, email: str, country: str) -> str:
    """Create an Express account for a recipient (payouts on our command only); return its id."""
    try:
        account = _connect_client().v1.accounts.create(
            params={
                "type": "express",
                "country": country,
                "email": email,
                "capabilities": {"transfers": {"requested": True}},
                "settings": {"payouts": {"schedule": {"interval": "manual"}}},
                "metadata": {"flattr_user": str(user_id)},
            },
            options={"idempotency_key": f"flattr-connect-account-{user_id}"},
        )
    except stripe.StripeError as error:
        raise translate_error(error) from error
    return account.id


def connect_account_link_create(
    *, account_id: str, refresh_url: str, return_url: str, update: bool = False
) -> str:
    """Return a one-time URL where the recipient enters (or, `update`, changes) their details."""
    try:
        link = _connect_client().v1.account_links.create(
            params={
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_update" if update else "account_onboarding",
            }
        )
    except stripe.StripeError as error:
        raise translate_error(error) from error
    return link.url


def connect_account_retrieve(*, account_id: str) -> ConnectAccount:
    """Return the account's readiness and the bank account its payouts go to."""
    try:
        account = _connect_client().v1.accounts.retrieve(account_id)
    except stripe.StripeError as error:
        raise translate_error(error) from error
    return connect_account_parse(account.to_dict())


def connect_account_parse(account: dict) -> ConnectAccount:
    """Read an account object (from the API or an `account.updated` event) into our terms."""
    requirements = account.get("requirements") or {}
    banks = (account.get("external_accounts") or {}).get("data") or []
    bank = banks[0] if banks and isinstance(banks[0], dict) else {}
    return ConnectAccount(
        account_id=str(account.get("id") or ""),
        details_submitted=account.get("details_submitted") is True,
        payouts_enabled=account.get("payouts_enabled") is True,
        currently_due=tuple(str(item) for item in requirements.get("currently_due") or ()),
        disabled_reason=str(requirements.get("disabled_reason") or ""),
        bank_account_id=str(bank.get("id") or ""),
        bank_label=f"{bank.get('country', '')} •••• {bank.get('last4', '')}" if bank else "",
    )


def connect_transfer_create(
    *, account_id: str, amount_cents: int, currency: str, reference: str
) -> str:
    """Move `amount_cents` from our Stripe balance to the recipient's account; return its id."""
    try:
        transfer = _connect_client().v1.transfers.create(
            params={
                "amount": amount_cents,
                "currency": currency.lower(),
                "destination": account_id,
                "metadata": {"flattr_payout": reference},
            },
            options={"idempotency_key": f"flattr-payout-transfer-{reference}"},
        )
    except stripe.StripeError as error:
        raise translate_error(error) from error
    return transfer.id


def connect_payout_create(
    *, account_id: str, amount_cents: int, currency: str, reference: str
) -> tuple[str, int | None]:
    """Pay the recipient's account balance out to their bank; return (payout id, arrival date
    as Unix seconds or None)."""
    try:
        payout = _connect_client().v1.payouts.create(
            params={
                "amount": amount_cents,
                "currency": currency.lower(),
                "metadata": {"flattr_payout": reference},
            },
            options={
                "idempotency_key": f"flattr-payout-bank-{reference}",
                "stripe_account": account_id,
            },
        )
    except stripe.StripeError as error:
        raise translate_error(error) from error
    return payout.id, getattr(payout, "arrival_date", None)


def connect_transfer_reverse(*, transfer_id: str, reference: str) -> None:
    """Take a transfer back from the recipient's account (after their bank payout failed)."""
    try:
        _connect_client().v1.transfers.reversals.create(
            transfer_id, options={"idempotency_key": f"flattr-payout-reversal-{reference}"}
        )
    except stripe.StripeError as error:
        raise translate_error(error) from error


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def webhook_event_construct(*, payload: bytes, signature: str) -> dict:
    """Verify a webhook request with STRIPE_WEBHOOK_SECRET and return the event as a dict.

    The signature covers the raw body and a timestamp (refused when older than Stripe's
    tolerance of five minutes), so a replayed or altered body fails here. The event's
    `api_version` is not checked: localstripe sends 2017-08-15 and the fields we read exist in
    every version since. The signature is checked once, here, on the raw bytes; the body is then
    parsed by us (Stripe's construct_event would verify it a second time and fail on anything
    that is not a JSON object with errors of its own).
    """
    if not signature:
        raise WebhookSignatureInvalid("No Stripe-Signature header.")
    secret = settings.STRIPE_WEBHOOK_SECRET
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
        )
    except stripe.SignatureVerificationError as error:
        raise WebhookSignatureInvalid(str(error)) from error
    except ValueError as error:  # the body is not UTF-8
        raise WebhookPayloadInvalid(str(error)) from error
    try:
        event = json.loads(payload, parse_constant=_refuse_constant)
    except ValueError as error:  # truncated, not JSON, or NaN/Infinity
        raise WebhookPayloadInvalid(str(error)) from error
    if not isinstance(event, dict):
        raise WebhookPayloadInvalid("The event is not a JSON object.")
    return event
