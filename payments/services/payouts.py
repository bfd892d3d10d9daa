"""Payouts: a recipient's Stripe Connect account, their requests, approval, sending, settling.

The books move at three moments only, each once per payout by its transfer key:
approval (earnings → payouts clearing, `payout:<id>`), failure (clearing → earnings, exactly
the same amount, `payout:<id>:reversed`) and settlement (clearing → fees for the fee and
clearing → Stripe clearing for the rest, `payout:<id>:fee` and `payout:<id>:settled`), so
payouts clearing holds exactly the payouts on their way and returns to zero once each settles.
Every state change locks the payout row first, so two admins approving at once, or a webhook
racing the sender, change it once. Network calls (Stripe) happen outside any transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.mail import mail_queue
from accounts.models import AccountMark
from accounts.moderation import user_blocked
from payments import stripe_gateway
from payments.errors import PaymentError
from payments.models import Payout, PayoutAccount, Transfer
from payments.models.payouts import BANK_LABEL_LENGTH, REASON_LENGTH
from payments.selectors import payout_fee, payout_standing
from payments.services.ledger import (
    Kind,
    accounts_lock,
    system_account,
    transfer_post,
    user_account,
)
from payments.templatetags.money import format_cents

# Marks that keep every payout of the account for an admin to approve by hand.
UNTRUSTED_MARKS = (AccountMark.Kind.SUSPICIOUS, AccountMark.Kind.FRAUD, AccountMark.Kind.SPAM)

logger = logging.getLogger(__name__)
Status = PayoutAccount.Status

# Stripe's requirement names, in words a recipient understands.
_REQUIREMENT_WORDS = {
    "external_account": "a bank account",
    "individual.name": "your name",
    "individual.dob": "your date of birth",
    "individual.address": "your address",
    "tos_acceptance": "accepting Stripe's terms",
}


# ---- the payout account ----


def payout_account_start(*, user, return_url: str, refresh_url: str) -> str:
    """Return the Stripe onboarding URL for the recipient, opening their account the first
    time (one account per user: Stripe's idempotency key and our unique row)."""
    account = PayoutAccount.objects.filter(user=user).first()
    if account is None:
        account_id = stripe_gateway.connect_account_create(
            user_id=user.pk, email=user.email, country=settings.PAYOUT_COUNTRY
        )
        account, _ = PayoutAccount.objects.get_or_create(
            user=user, defaults={"stripe_account_id": account_id}
        )
    return stripe_gateway.connect_account_link_create(
        account_id=account.stripe_account_id,
        refresh_url=refresh_url,
        return_url=return_url,
        update=account.status == Status.READY,
    )


def payout_account_refresh(*, user) -> PayoutAccount | None:
    """Ask Stripe how the recipient's account stands now (back from onboarding)."""
    account = PayoutAccount.objects.filter(user=user).first()
    if account is None:
        return None
    state = stripe_gateway.connect_account_retrieve(account_id=account.stripe_account_id)
    return payout_account_apply(state=state)


@transaction.atomic
def payout_account_apply(*, state: stripe_gateway.ConnectAccount) -> PayoutAccount | None:
    """Store what Stripe says about an account (an API answer or an `account.updated` event).

    A bank account replacing an earlier one is a details change: payouts wait
    PAYOUT_DETAILS_GUARD_DAYS from then, in case someone else took over the login.
    """
    account = (
        PayoutAccount.objects.select_for_update().filter(stripe_account_id=state.account_id).first()
    )
    if account is None:
        return None
    if state.disabled_reason:
        account.status = Status.RESTRICTED
        account.status_reason = gettext("Stripe has paused payouts (%(reason)s).") % {
            "reason": state.disabled_reason.replace("_", " ").replace(".", ": ")
        }
    elif state.payouts_enabled:
        account.status, account.status_reason = Status.READY, ""
    else:
        missing = [_REQUIREMENT_WORDS.get(item, item) for item in state.currently_due]
        account.status = Status.DETAILS_MISSING
        account.status_reason = (
            gettext("Stripe still needs: %(items)s.") % {"items": ", ".join(missing)}
            if missing
            else gettext("Stripe is checking your details.")
        )
    if state.bank_account_id and state.bank_account_id != account.bank_account_id:
        if account.bank_account_id:
            account.details_changed_at = timezone.now()
        account.bank_account_id = state.bank_account_id
        account.bank_label = state.bank_label[:BANK_LABEL_LENGTH]
    account.save()
    return account


# ---- requests and decisions ----


def _refuse(code: str, message: str) -> PaymentError:
    return PaymentError(code, message)


@transaction.atomic
def payout_request(*, user, amount_cents: int | None, reference: uuid.UUID) -> Payout:
    """Ask for a payout of `amount_cents` (None: everything payable); return the payout.

    Refused with a clear message below PAYOUT_MINIMUM_CENTS, above the payable balance, while
    the account is not ready or its details changed in the last PAYOUT_DETAILS_GUARD_DAYS. A
    resubmitted form (same `reference`) returns the first request. Trusted recipients asking for
    at most PAYOUT_AUTO_APPROVE_CENTS are approved at once; the others wait for an admin.
    """
    existing = Payout.objects.filter(reference=reference).first()
    if existing is not None:
        if existing.user_id != user.pk:
            raise _refuse("invalid_reference", gettext("This request belongs to someone else."))
        return existing
    _moderation_check(user)
    earnings = user_account(user, Kind.EARNINGS)
    accounts_lock(earnings)  # the balance cannot move while we decide
    standing = payout_standing(user)
    account = standing.account
    if account is None or account.status != Status.READY:
        raise _refuse("payout_not_ready", gettext("Finish your payout details first."))
    if standing.open_payout is not None:
        raise _refuse("payout_open", gettext("You have a payout under way; wait until it is done."))
    if standing.guard_until is not None:
        raise _refuse(
            "payout_details_changed",
            gettext(
                "Your payout details changed recently. To protect you, payouts are possible "
                "again from %(when)s."
            )
            % {"when": timezone.localtime(standing.guard_until).strftime("%Y-%m-%d %H:%M")},
        )
    amount = standing.payable if amount_cents is None else amount_cents
    minimum = int(settings.PAYOUT_MINIMUM_CENTS)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < minimum:
        raise _refuse(
            "payout_below_minimum",
            gettext("A payout is at least %(minimum)s.") % {"minimum": format_cents(minimum)},
        )
    if amount > standing.payable:
        message = gettext("You can take out at most %(payable)s now.") % {
            "payable": format_cents(standing.payable)
        }
        if standing.held:
            message += " " + gettext(
                "%(held)s is held until %(date)s because you are a new recipient."
            ) % {"held": format_cents(standing.held), "date": standing.held_until}
        raise _refuse("payout_above_payable", message)
    fee = payout_fee(amount)
    try:
        with transaction.atomic():
            payout = Payout.objects.create(
                reference=reference,
                user=user,
                account=account,
                amount=amount,
                fee=fee,
                currency=settings.CURRENCY,
            )
    except IntegrityError as error:
        if "payout_one_open_per_user" in str(error):
            raise _refuse(
                "payout_open", gettext("You have a payout under way; wait until it is done.")
            ) from error
        raise _refuse(
            "payout_below_minimum", gettext("This amount does not cover the payout fee.")
        ) from error
    _mail(payout, "requested")
    if _auto_approvable(user, standing) and amount <= int(settings.PAYOUT_AUTO_APPROVE_CENTS):
        payout_approve(payout_id=payout.pk, admin=None)
        payout.refresh_from_db()
    return payout


def _moderation_check(user) -> None:
    """Refuse payouts to a suspended or fraud-marked account (accounts.moderation): its
    earnings stay where they are until an admin has looked, or returns them to the donors."""
    if user_blocked(user):
        raise _refuse(
            "account_suspended",
            gettext("Payouts from this account are stopped while it is under review."),
        )


def _auto_approvable(user, standing) -> bool:
    """Trusted by history (paid out before, details unchanged) or marked trusted by an admin,
    and not marked suspicious, fraud or spam since."""
    if user.mark in UNTRUSTED_MARKS:
        return False
    return standing.trusted or user.mark == AccountMark.Kind.TRUSTED


def _locked(payout_id: int) -> Payout:
    return Payout.objects.select_for_update().select_related("user", "account").get(pk=payout_id)


@transaction.atomic
def payout_approve(*, payout_id: int, admin) -> Payout:
    """Approve a waiting payout (an admin, or None: automatically): move its money to payouts
    clearing and have the transfer made after commit. Only a waiting payout can be approved,
    so a second approval (another admin, a double click) is refused and pays nothing."""
    payout = _locked(payout_id)
    if payout.status != Payout.Status.REQUESTED:
        raise _refuse(
            "payout_decided",
            gettext("This payout was already decided (%(status)s).")
            % {"status": payout.get_status_display()},
        )
    _moderation_check(payout.user)
    earnings = user_account(payout.user, Kind.EARNINGS)
    clearing = system_account(Kind.PAYOUTS)
    accounts_lock(earnings, clearing)
    standing = payout_standing(payout.user)
    if standing.earnings - standing.held < payout.amount:  # payday may have spent earnings
        raise _refuse(
            "no_means",
            gettext("The earnings no longer cover this payout (%(amount)s).")
            % {"amount": format_cents(payout.amount)},
        )
    transfer_post(
        key=f"payout:{payout.pk}",
        kind=Transfer.Kind.PAYOUT,
        debit=earnings,
        credit=clearing,
        amount_cents=payout.amount,
        memo=f"Payout {payout.pk} approved",
    )
    payout.status = Payout.Status.APPROVED
    payout.auto_approved = admin is None
    payout.decided_by = admin
    payout.decided_at = timezone.now()
    payout.save()
    from payments.tasks import payout_send_task  # tasks import the services

    # Robust: the approval stands even if the queue is down (the error is logged); the payout
    # stays approved, and the admin's "Send again" action sends it.
    transaction.on_commit(lambda: payout_send_task.delay(payout_id=payout.pk), robust=True)
    return payout


@transaction.atomic
def payout_reject(*, payout_id: int, admin, reason: str) -> Payout:
    """Refuse a waiting payout with a reason the recipient is told; no money moved yet."""
    reason = (reason or "").strip()
    if not reason:
        raise _refuse("reason_missing", gettext("Give a reason: the recipient reads it."))
    payout = _locked(payout_id)
    if payout.status != Payout.Status.REQUESTED:
        raise _refuse(
            "payout_decided",
            gettext("This payout was already decided (%(status)s).")
            % {"status": payout.get_status_display()},
        )
    payout.status = Payout.Status.REJECTED
    payout.decided_by = admin
    payout.decided_at = payout.finished_at = timezone.now()
    payout.decision_reason = reason[: Payout._meta.get_field("decision_reason").max_length]
    payout.save()
    _mail(payout, "rejected")
    return payout


# ---- sending, failing, settling ----


def payout_send(*, payout_id: int) -> Payout:
    """Make the Stripe transfer and bank payout of an approved payout (a Celery task, after
    the approval committed). A refusal reverses the payout exactly; a crash is retried with the
    same idempotency keys, so Stripe makes each call once."""
    payout = Payout.objects.select_related("account").get(pk=payout_id)
    if payout.status != Payout.Status.APPROVED:
        return payout
    reference = str(payout.reference)
    try:
        transfer_id = payout.transfer_id or stripe_gateway.connect_transfer_create(
            account_id=payout.account.stripe_account_id,
            amount_cents=payout.net,
            currency=payout.currency,
            reference=reference,
        )
        Payout.objects.filter(pk=payout.pk).update(transfer_id=transfer_id)
        bank_payout_id, arrival = stripe_gateway.connect_payout_create(
            account_id=payout.account.stripe_account_id,
            amount_cents=payout.net,
            currency=payout.currency,
            reference=reference,
        )
    except stripe_gateway.GatewayUnavailable:
        raise  # outcome unknown: the task retries with the same keys
    except stripe_gateway.GatewayError as error:
        payout.refresh_from_db()
        if payout.transfer_id:  # the bank payout was refused: take the transfer back first
            payout_transfer_reverse(payout_id=payout.pk)
        payout_fail(payout_id=payout.pk, reason=error.message)
        return Payout.objects.get(pk=payout.pk)
    expected = (
        dt.datetime.fromtimestamp(arrival, tz=dt.UTC).date()
        if arrival
        else timezone.localdate() + dt.timedelta(days=int(settings.PAYOUT_EXPECTED_DAYS))
    )
    from payments.webhooks import payments_lock, stripe_events_replay

    with transaction.atomic():
        # Stripe's events about this transfer and payout may have overtaken us (kept as
        # unmatched): under the webhook's lock on these ids, an event is either recorded before
        # the replay below looks for it, or finds the payout with its ids saved.
        payments_lock(transfer_id, bank_payout_id)
        payout = _locked(payout.pk)
        if payout.status == Payout.Status.APPROVED:
            payout.status = Payout.Status.SENT
            payout.stripe_payout_id = bank_payout_id
            payout.expected_on = expected
            payout.sent_at = timezone.now()
            payout.save()
            _mail(payout, "sent")
            stripe_events_replay(transfer_id, bank_payout_id)
    return Payout.objects.get(pk=payout.pk)


PAYOUT_RESEND_AFTER_MINUTES = 10


def payouts_send_due(*, now: dt.datetime | None = None) -> list[int]:
    """Send again every payout approved more than PAYOUT_RESEND_AFTER_MINUTES ago and still not
    on its way (beat, every 10 minutes): its task was lost (the queue was unreachable when the
    approval committed) or gave up while Stripe was away. The same idempotency keys make each
    Stripe call once, and `payout_send` records the outcome under the payout's lock, so a resend
    racing the original task pays once. Return the ids sent (or failed) now."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=PAYOUT_RESEND_AFTER_MINUTES)
    due = list(
        Payout.objects.filter(status=Payout.Status.APPROVED, decided_at__lt=cutoff)
        .order_by("decided_at", "id")
        .values_list("id", flat=True)
    )
    done = []
    for payout_id in due:  # a handful at most: only payouts whose task was lost
        try:
            payout = payout_send(payout_id=payout_id)
        except stripe_gateway.GatewayUnavailable as error:
            logger.warning("payout %s: Stripe still unreachable (%s); next round", payout_id, error)
            continue
        if payout.status != Payout.Status.APPROVED:
            done.append(payout_id)
    return done


def payout_transfer_reverse(*, payout_id: int) -> None:
    """Take a failed payout's transfer back from the recipient's Stripe account (their bank
    refused it, so the money sits there). Our books were reversed already; this is Stripe's
    side, keyed so that a retry reverses once."""
    payout = Payout.objects.get(pk=payout_id)
    if not payout.transfer_id:
        return
    try:
        stripe_gateway.connect_transfer_reverse(
            transfer_id=payout.transfer_id, reference=str(payout.reference)
        )
    except stripe_gateway.GatewayError as error:
        logger.warning("reversing the transfer of payout %s failed: %s", payout_id, error)


@transaction.atomic
def payout_fail(*, payout_id: int, reason: str) -> bool:
    """Reverse an approved or sent payout exactly (clearing → earnings) and tell the recipient;
    False when it was not on its way (already failed, paid or never approved)."""
    payout = _locked(payout_id)
    if payout.status not in (Payout.Status.APPROVED, Payout.Status.SENT):
        return False
    transfer_post(
        key=f"payout:{payout.pk}:reversed",
        kind=Transfer.Kind.PAYOUT_REVERSAL,
        debit=system_account(Kind.PAYOUTS),
        credit=user_account(payout.user, Kind.EARNINGS),
        amount_cents=payout.amount,
        memo=f"Payout {payout.pk} failed; returned",
    )
    payout.status = Payout.Status.FAILED
    payout.failure = (reason or gettext("The payout failed."))[:REASON_LENGTH]
    payout.finished_at = timezone.now()
    payout.save()
    _mail(payout, "failed")
    return True


@transaction.atomic
def payout_settle(*, payout_id: int) -> bool:
    """Book a payout the bank has paid: its fee to fees, the rest out through Stripe clearing,
    so payouts clearing is back to what it held before. False if it was not on its way."""
    payout = _locked(payout_id)
    if payout.status != Payout.Status.SENT:
        return False
    clearing = system_account(Kind.PAYOUTS)
    if payout.fee:
        transfer_post(
            key=f"payout:{payout.pk}:fee",
            kind=Transfer.Kind.PAYOUT_FEE,
            debit=clearing,
            credit=system_account(Kind.FEES),
            amount_cents=payout.fee,
            memo=f"Fee of payout {payout.pk}",
        )
    transfer_post(
        key=f"payout:{payout.pk}:settled",
        kind=Transfer.Kind.PAYOUT_SETTLED,
        debit=clearing,
        credit=system_account(Kind.STRIPE),
        amount_cents=payout.net,
        memo=f"Payout {payout.pk} paid to the bank",
    )
    payout.status = Payout.Status.PAID
    payout.finished_at = timezone.now()
    payout.save()
    _mail(payout, "paid")
    return True


def _mail(payout: Payout, step: str) -> None:
    """Tell the recipient about one step of their payout, after commit."""
    mail_queue(
        user=payout.user,
        template_prefix="payments/email/payout_step",
        context={
            "step": step,
            "payout": payout,
            "payouts_url": settings.SITE_URL + reverse("payments:payouts"),
        },
    )
