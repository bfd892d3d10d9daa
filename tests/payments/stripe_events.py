"""Stripe webhook events as Stripe sends them, signed with our webhook secret.

The shapes follow Stripe's API reference (PaymentIntent, Checkout Session, Charge, Dispute);
localstripe cannot produce Checkout, refund or dispute events, so tests build them here and post
them, correctly signed, to the real webhook view.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid

from django.conf import settings
from django.urls import reverse

from payments.models import Deposit
from payments.services import deposit_create

_ids = itertools.count(1)
WEBHOOK_PATH = "/payments/stripe/webhook/"


def _next_id(prefix: str) -> str:
    return f"{prefix}_test{next(_ids):06d}{uuid.uuid4().hex[:6]}"


def event(event_type: str, obj: dict, *, event_id: str | None = None, created: int | None = None):
    return {
        "id": event_id or _next_id("evt"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": created if created is not None else int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
    }


def intent_succeeded(deposit: Deposit, *, payment_id: str | None = None, **overrides) -> dict:
    payment_id = payment_id or deposit.payment_id or _next_id("pi")
    obj = {
        "id": payment_id,
        "object": "payment_intent",
        "amount": deposit.amount,
        "amount_received": deposit.amount,
        "currency": deposit.currency.lower(),
        "status": "succeeded",
        "latest_charge": f"ch_{payment_id[3:]}",
        "metadata": {"flattr_deposit": str(deposit.reference), "flattr_user": str(deposit.user_id)},
    }
    obj.update(overrides)
    return event("payment_intent.succeeded", obj)


def intent_failed(deposit: Deposit, *, payment_id: str, message="Your card was declined."):
    obj = {
        "id": payment_id,
        "object": "payment_intent",
        "amount": deposit.amount,
        "currency": deposit.currency.lower(),
        "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined", "message": message},
        "metadata": {"flattr_deposit": str(deposit.reference)},
    }
    return event("payment_intent.payment_failed", obj)


def checkout_completed(
    deposit: Deposit, *, payment_id: str, session_id: str | None = None, **overrides
) -> dict:
    obj = {
        "id": session_id or deposit.checkout_session_id or _next_id("cs_test"),
        "object": "checkout.session",
        "mode": "payment",
        "amount_total": deposit.amount,
        "currency": deposit.currency.lower(),
        "client_reference_id": str(deposit.reference),
        "customer": "cus_test",
        "payment_intent": payment_id,
        "payment_status": "paid",
        "status": "complete",
        "metadata": {"flattr_deposit": str(deposit.reference)},
    }
    obj.update(overrides)
    return event("checkout.session.completed", obj)


def charge_refunded(deposit: Deposit, *, payment_id: str, refunded: int, **overrides) -> dict:
    obj = {
        "id": f"ch_{payment_id[3:]}",
        "object": "charge",
        "amount": deposit.amount,
        "amount_refunded": refunded,
        "currency": deposit.currency.lower(),
        "payment_intent": payment_id,
        "refunded": refunded == deposit.amount,
        "metadata": {},
    }
    obj.update(overrides)
    return event("charge.refunded", obj)


def dispute(
    event_type: str,
    *,
    dispute_id: str,
    payment_id: str,
    amount: int,
    status: str,
    currency: str = "eur",
    created: int | None = None,
) -> dict:
    obj = {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "charge": f"ch_{payment_id[3:]}",
        "payment_intent": payment_id,
        "currency": currency,
        "reason": "fraudulent",
        "status": status,
    }
    return event(event_type, obj, created=created)


def signature(payload: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    """Sign a body the way Stripe does: HMAC-SHA256 over "<timestamp>.<body>"."""
    secret = secret or settings.STRIPE_WEBHOOK_SECRET
    timestamp = timestamp if timestamp is not None else int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def post(client, body, *, secret: str | None = None, header: str | None = None):
    """POST an event (dict, or raw bytes) to the webhook view, signed unless `header` is given."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    sig = header if header is not None else signature(payload, secret=secret)
    extra = {"HTTP_STRIPE_SIGNATURE": sig} if sig else {}
    return client.post(
        reverse("payments:stripe_webhook"), data=payload, content_type="application/json", **extra
    )


def new_deposit(user, amount: int = 1000, *, payment_id: str | None = None, known=True) -> Deposit:
    """A deposit as the add-funds page leaves it: started and, when `known`, with Stripe's
    payment id recorded (the card payment returned)."""
    deposit, _ = deposit_create(user=user, amount_cents=amount, method=Deposit.Method.CARD)
    if known:
        deposit.payment_id = payment_id or _next_id("pi")
        deposit.status = Deposit.Status.PROCESSING
        deposit.save()
    return deposit


def next_payment_id() -> str:
    return _next_id("pi")
