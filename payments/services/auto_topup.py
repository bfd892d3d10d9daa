"""Automatic monthly top-ups: a saved card charged off-session before payday, once a month."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.mail import mail_queue
from payments import stripe_gateway
from payments.errors import PaymentError
from payments.models import (
    AutoTopUp,
    Deposit,
)
from payments.months import month_start
from payments.services.deposits import (
    INTENT_STATUS,
    deposit_create,
    deposit_metadata,
    deposit_payment_update,
    deposit_status_after_error,
    deposit_validate,
    stripe_customer_for,
)

logger = logging.getLogger(__name__)


@transaction.atomic
def auto_topup_card_store(
    *, user, payment_method_id: str, label: str, amount_cents: int
) -> AutoTopUp:
    """Store the saved card and amount of a user's automatic top-up, and switch it on."""
    deposit_validate(amount_cents)
    topup, _ = AutoTopUp.objects.select_for_update().get_or_create(
        user=user, defaults={"payment_method_id": payment_method_id, "amount": amount_cents}
    )
    topup.payment_method_id = payment_method_id
    topup.card_label = label[: AutoTopUp.CARD_LABEL_MAX]
    topup.amount = amount_cents
    topup.active = True
    topup.last_error = ""
    topup.save()
    return topup


def auto_topup_checkout_start(
    *, user, success_url: str, cancel_url: str
) -> stripe_gateway.CheckoutSession:
    """Open a Stripe Checkout session in setup mode to save a card (production)."""
    customer_id = stripe_customer_for(user)
    return stripe_gateway.checkout_setup_session_create(
        customer_id=customer_id,
        reference=str(uuid.uuid4()),
        success_url=success_url,
        cancel_url=cancel_url,
    )


def auto_topup_checkout_finish(*, user, session_id: str, amount_cents: int) -> AutoTopUp:
    """Store the card a setup-mode Checkout session saved, after checking it is this user's."""
    customer_id = stripe_customer_for(user)
    session_customer, saved = stripe_gateway.checkout_setup_card(session_id=session_id)
    if session_customer != customer_id:
        raise PaymentError("not_yours", gettext("This card was saved for another customer."))
    return auto_topup_card_store(
        user=user,
        payment_method_id=saved.payment_method_id,
        label=saved.label,
        amount_cents=amount_cents,
    )


@transaction.atomic
def auto_topup_amount_set(*, user, amount_cents: int, active: bool) -> AutoTopUp:
    """Change the amount of an existing automatic top-up, or switch it on or off."""
    deposit_validate(amount_cents)
    topup = AutoTopUp.objects.select_for_update().filter(user=user).first()
    if topup is None:
        raise PaymentError("no_card", gettext("Save a card first."))
    topup.amount = amount_cents
    topup.active = active
    topup.save()
    return topup


def auto_topup_charge(*, topup: AutoTopUp, month: dt.date) -> Deposit | None:
    """Charge one saved card off-session for `month`, at most once per month.

    Only when the funds do not cover the monthly budget (a top-up nobody needs is not
    charged). The deposit reference is derived from (user, month), so a rerun of the task finds
    the first attempt instead of charging again. On failure the donor is emailed; payday then
    takes what the wallet holds.
    """
    from payments.selectors import balances_for_user, budget_get

    user = topup.user
    month = month_start(month)
    budget = budget_get(user).monthly_cents
    if not topup.active or budget <= 0 or balances_for_user(user)["funds"] >= budget:
        return None
    reference = uuid.uuid5(uuid.NAMESPACE_URL, f"flattr:auto-topup:{user.pk}:{month:%Y-%m}")
    deposit, created = deposit_create(
        user=user,
        amount_cents=topup.amount,
        method=Deposit.Method.AUTO_TOPUP,
        reference=reference,
    )
    if not created:
        return deposit
    try:
        customer_id = stripe_customer_for(user)
        result = stripe_gateway.payment_intent_create(
            amount_cents=deposit.amount,
            currency=deposit.currency,
            customer_id=customer_id,
            payment_method_id=topup.payment_method_id,
            metadata=deposit_metadata(deposit),
            idempotency_key=f"flattr-deposit-{deposit.reference}",
            off_session=True,
        )
    except stripe_gateway.GatewayError as error:
        deposit = deposit_payment_update(
            deposit_id=deposit.pk,
            payment_id=error.payment_id,
            status=deposit_status_after_error(error),
            failure=error.message,
        )
    else:
        status = INTENT_STATUS.get(result.status, Deposit.Status.PENDING)
        failure = result.failure
        if status == Deposit.Status.REQUIRES_ACTION:
            # Nobody is there to answer the bank: off-session, this is a failure.
            status = Deposit.Status.FAILED
            failure = gettext("Your bank asked for a confirmation that cannot be given.")
        deposit = deposit_payment_update(
            deposit_id=deposit.pk,
            payment_id=result.payment_id,
            status=status,
            failure=failure,
            charge_id=result.charge_id,
        )
    _auto_topup_result_store(topup=topup, month=month, deposit=deposit)
    return deposit


@transaction.atomic
def _auto_topup_result_store(*, topup: AutoTopUp, month: dt.date, deposit: Deposit) -> None:
    failed = deposit.status in (Deposit.Status.FAILED, Deposit.Status.CANCELED)
    AutoTopUp.objects.filter(pk=topup.pk).update(
        last_month=month, last_error=deposit.failure if failed else ""
    )
    if failed:
        mail_queue(
            user=topup.user,
            template_prefix="payments/email/auto_topup_failed",
            context={
                "deposit": deposit,
                "wallet_url": settings.SITE_URL + reverse("payments:wallet"),
                "topup_url": settings.SITE_URL + reverse("payments:auto_topup"),
            },
        )


def auto_topups_charge(*, today: dt.date | None = None) -> dict[str, int]:
    """Charge every active automatic top-up due this month (run a few days before payday).

    Return counts by outcome. One donor's failure never stops the others.
    """
    today = today or timezone.localdate()
    counts = {"charged": 0, "failed": 0, "skipped": 0}
    topups = AutoTopUp.objects.filter(active=True).select_related("user").order_by("pk")
    for topup in topups.iterator():
        if topup.last_month == month_start(today):
            counts["skipped"] += 1
            continue
        try:
            deposit = auto_topup_charge(topup=topup, month=today)
        except PaymentError as error:
            logger.warning("auto top-up of user %s refused: %s", topup.user_id, error)
            counts["failed"] += 1
            continue
        if deposit is None:
            counts["skipped"] += 1
        elif deposit.status in (Deposit.Status.FAILED, Deposit.Status.CANCELED):
            counts["failed"] += 1
        else:
            counts["charged"] += 1
    return counts
