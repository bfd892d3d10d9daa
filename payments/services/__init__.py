"""Every change to the books. Each service owns its transaction and the row locks it needs."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.mail import mail_queue
from payments import stripe_gateway
from payments.errors import PaymentError
from payments.models import (
    AutoTopUp,
    Budget,
    Deposit,
    Dispute,
    LedgerAccount,
    StripeCustomer,
    Transfer,
)
from payments.months import month_start
from payments.templatetags.money import format_cents

Kind = LedgerAccount.Kind
logger = logging.getLogger(__name__)


def system_account(kind: str) -> LedgerAccount:
    """Return the one system account of this kind (fees, charity, Stripe or payouts clearing)."""
    if kind not in LedgerAccount.SYSTEM_KINDS:
        raise ValueError(f"{kind} is not a system account kind")
    account, _ = LedgerAccount.objects.get_or_create(
        kind=kind, user=None, defaults={"label": LedgerAccount.Kind(kind).label}
    )
    return account


def user_account(user, kind: str) -> LedgerAccount:
    """Return the user's account of this kind (funds, earnings or receivable), creating it once."""
    if kind not in LedgerAccount.USER_KINDS:
        raise ValueError(f"{kind} is not a user account kind")
    account, _ = LedgerAccount.objects.get_or_create(user=user, kind=kind)
    return account


def pool_account_create(*, label: str) -> LedgerAccount:
    """Open a new held pool (one per platform account)."""
    return LedgerAccount.objects.create(kind=Kind.POOL, label=label[:200])


@transaction.atomic
def transfer_post(
    *,
    key: str,
    kind: str,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount_cents: int,
    memo: str = "",
    month: dt.date | None = None,
) -> tuple[Transfer, bool]:
    """Move `amount_cents` from `debit` to `credit` exactly once per `key`.

    Both accounts are locked in id order (so two transfers between the same accounts can never
    deadlock), the key is checked under those locks (so a concurrent retry waits, then sees the
    first transfer and becomes a no-op), and the transfer and both cached balances are written in
    one transaction. Return (transfer, created). A balance constraint violation (a wallet or pool
    going negative) raises PaymentError("no_means") and writes nothing.
    """
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise PaymentError(
            "invalid_amount",
            f"Amount must be a positive whole number of cents, not {amount_cents!r}.",
        )
    if debit.pk == credit.pk:
        raise PaymentError("same_account", "A transfer needs two different accounts.")
    ids = sorted({debit.pk, credit.pk})
    list(LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    existing = Transfer.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                key=key,
                kind=kind,
                debit=debit,
                credit=credit,
                amount=amount_cents,
                memo=memo[:300],
                month=month,
            )
            LedgerAccount.objects.filter(pk=debit.pk).update(balance=F("balance") - amount_cents)
            LedgerAccount.objects.filter(pk=credit.pk).update(balance=F("balance") + amount_cents)
    except IntegrityError as error:
        if "ledger_wallets_and_pools_not_negative" in str(error) or "ledger_receivable" in str(
            error
        ):
            raise PaymentError("no_means", "Not enough money in the account for this.") from error
        raise
    return transfer, True


def accounts_lock(*accounts: LedgerAccount) -> dict[int, int]:
    """Lock the accounts in id order (the same order transfer_post uses, so no deadlock) and
    return their current balances by id. Later transfer_post calls on them take no new locks."""
    rows = (
        LedgerAccount.objects.select_for_update()
        .filter(pk__in={account.pk for account in accounts})
        .order_by("pk")
        .values_list("pk", "balance")
    )
    return dict(rows)


# ---- Monthly budget ----


def budget_validate(monthly_cents: int) -> None:
    """Raise PaymentError("invalid_budget") unless the budget is 0 (none) or within limits."""
    if not isinstance(monthly_cents, int) or isinstance(monthly_cents, bool):
        raise PaymentError("invalid_budget", gettext("The budget must be a whole number of cents."))
    if monthly_cents != 0 and not (
        settings.MIN_BUDGET_CENTS <= monthly_cents <= settings.MAX_BUDGET_CENTS
    ):
        raise PaymentError(
            "invalid_budget",
            gettext("A monthly budget is 0 or between %(min)s and %(max)s.")
            % {
                "min": format_cents(settings.MIN_BUDGET_CENTS),
                "max": format_cents(settings.MAX_BUDGET_CENTS),
            },
        )


@transaction.atomic
def budget_set(*, user, monthly_cents: int, use_earnings: bool, unused_to_charity: bool) -> Budget:
    """Set the user's monthly budget (0 = no budget) and spending choices.

    A budget above the wallet is allowed: payday takes what the wallet holds (the page says so).
    """
    budget_validate(monthly_cents)
    budget, _ = Budget.objects.select_for_update().get_or_create(user=user)
    budget.monthly_cents = monthly_cents
    budget.use_earnings = bool(use_earnings)
    budget.unused_to_charity = bool(unused_to_charity)
    budget.save()
    return budget


# ---- Debts: refunds and disputes the funds could not cover ----


def _wallet_debit(*, user, amount_cents: int, kind: str, key: str, memo: str) -> int:
    """Send `amount_cents` of the user's money back to Stripe for a refund or a dispute.

    Only funds are taken (a refund or chargeback undoes a deposit, and deposits went into the
    funds); what the funds cannot cover is booked to the user's receivable, which goes negative:
    the user owes it, their account is frozen for flattring, and their next deposit pays it
    first. Earnings are never touched. With these rules the books end in the same state
    whatever order Stripe's events arrive in. Return the part that became a debt.
    """
    funds = user_account(user, Kind.FUNDS)
    owed = user_account(user, Kind.RECEIVABLE)
    clearing = system_account(Kind.STRIPE)
    balances = accounts_lock(funds, owed, clearing)
    if Transfer.objects.filter(key__in=[f"{key}:funds", f"{key}:owed"]).exists():
        return 0  # already booked; the caller's own state should have said so
    from_funds = min(balances[funds.pk], amount_cents)
    if from_funds > 0:
        transfer_post(
            key=f"{key}:funds",
            kind=kind,
            debit=funds,
            credit=clearing,
            amount_cents=from_funds,
            memo=memo,
        )
    rest = amount_cents - from_funds
    if rest > 0:
        transfer_post(
            key=f"{key}:owed",
            kind=kind,
            debit=owed,
            credit=clearing,
            amount_cents=rest,
            memo=memo + " (not covered by your funds: you owe this)",
        )
    return rest


def receivable_settle(*, user, key: str) -> int:
    """Pay what the user owes from their funds, as far as the funds go; return the amount paid.

    Called after every credit that comes back from Stripe (a deposit, a dispute won), inside
    the caller's transaction.
    """
    funds = user_account(user, Kind.FUNDS)
    owed = user_account(user, Kind.RECEIVABLE)
    balances = accounts_lock(funds, owed)
    amount = min(balances[funds.pk], -balances[owed.pk])
    if amount <= 0:
        return 0
    transfer_post(
        key=key,
        kind=Transfer.Kind.RECEIVABLE_SETTLE,
        debit=funds,
        credit=owed,
        amount_cents=amount,
        memo="Paid what you owed after a refund or dispute",
    )
    return amount


# ---- Deposits: started by the user, decided by Stripe's webhooks ----


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


def _deposit_metadata(deposit: Deposit) -> dict[str, str]:
    return {"flattr_deposit": str(deposit.reference), "flattr_user": str(deposit.user_id)}


# What Stripe's PaymentIntent status means for the deposit page (never for the ledger).
_INTENT_STATUS = {
    "succeeded": Deposit.Status.PROCESSING,  # paid; credited when the webhook arrives
    "processing": Deposit.Status.PROCESSING,
    "requires_capture": Deposit.Status.PROCESSING,
    "requires_action": Deposit.Status.REQUIRES_ACTION,
    "requires_confirmation": Deposit.Status.PENDING,
    "requires_payment_method": Deposit.Status.FAILED,
    "canceled": Deposit.Status.CANCELED,
}


def deposit_card_start(*, user, amount_cents: int, reference: uuid.UUID, card: str) -> Deposit:
    """Charge a test card through a PaymentIntent (development and tests, on localstripe).

    Not atomic on purpose: the deposit row is committed before Stripe is called and updated
    after, so no transaction waits on the network. Nothing is credited here.
    """
    if card not in stripe_gateway.TEST_CARDS:
        raise PaymentError("invalid_card", gettext("Choose one of the test cards."))
    deposit, created = deposit_create(
        user=user, amount_cents=amount_cents, method=Deposit.Method.CARD, reference=reference
    )
    if not created:
        return deposit
    try:
        customer_id = stripe_customer_for(user)
        payment_method = stripe_gateway.test_card_payment_method(card)
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
            metadata=_deposit_metadata(deposit),
            idempotency_key=f"flattr-deposit-{deposit.reference}",
        )
    except stripe_gateway.GatewayError as error:
        return deposit_payment_update(
            deposit_id=deposit.pk,
            payment_id=error.payment_id,
            status=_status_after_error(error),
            failure=error.message,
        )
    return deposit_payment_update(
        deposit_id=deposit.pk,
        payment_id=result.payment_id,
        status=_INTENT_STATUS.get(result.status, Deposit.Status.PENDING),
        failure=result.failure,
        charge_id=result.charge_id,
    )


def _status_after_error(error: stripe_gateway.GatewayError) -> str:
    """A decline or refusal is final; no answer at all leaves the deposit waiting for the
    webhook, which still finds it through the metadata if the charge went through."""
    if isinstance(error, stripe_gateway.GatewayUnavailable):
        return Deposit.Status.PENDING
    return Deposit.Status.FAILED


def deposit_authenticate_test(*, deposit: Deposit, success: bool) -> Deposit:
    """Answer the 3-D Secure challenge of a development deposit (localstripe only)."""
    if deposit.status != Deposit.Status.REQUIRES_ACTION or not deposit.payment_id:
        raise PaymentError(
            "not_waiting", gettext("This payment is not waiting for a confirmation.")
        )
    try:
        result = stripe_gateway.payment_intent_authenticate_test(
            payment_id=deposit.payment_id, success=success
        )
    except stripe_gateway.GatewayError as error:
        return deposit_payment_update(
            deposit_id=deposit.pk,
            payment_id="",
            status=_status_after_error(error),
            failure=error.message,
        )
    failure = result.failure
    if not success and not failure:
        failure = gettext("Your bank did not confirm the payment.")
    return deposit_payment_update(
        deposit_id=deposit.pk,
        payment_id=result.payment_id,
        status=_INTENT_STATUS.get(result.status, Deposit.Status.PENDING),
        failure=failure,
        charge_id=result.charge_id,
    )


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
            metadata=_deposit_metadata(deposit),
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
        deposit.failure = failure[:500]
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
    deposit.failure = failure[:500]
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
    _wallet_debit(
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
            "reason": reason[:100],
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
        _wallet_debit(
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


# ---- Automatic monthly top-up ----


def auto_topup_save(*, user, amount_cents: int, card: str) -> AutoTopUp:
    """Save a test card for automatic top-ups (development, localstripe) and set the amount."""
    deposit_validate(amount_cents)
    if card not in stripe_gateway.TEST_CARDS:
        raise PaymentError("invalid_card", gettext("Choose one of the test cards."))
    customer_id = stripe_customer_for(user)
    saved = stripe_gateway.payment_method_attach(
        payment_method_id=stripe_gateway.test_card_payment_method(card), customer_id=customer_id
    )
    return auto_topup_card_store(
        user=user,
        payment_method_id=saved.payment_method_id,
        label=saved.label,
        amount_cents=amount_cents,
    )


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
    topup.card_label = label[:100]
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
            metadata=_deposit_metadata(deposit),
            idempotency_key=f"flattr-deposit-{deposit.reference}",
            off_session=True,
        )
    except stripe_gateway.GatewayError as error:
        deposit = deposit_payment_update(
            deposit_id=deposit.pk,
            payment_id=error.payment_id,
            status=_status_after_error(error),
            failure=error.message,
        )
    else:
        status = _INTENT_STATUS.get(result.status, Deposit.Status.PENDING)
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


# Payday's services live in payments/payday.py, which imports this module; they are re-exported
# here lazily (a module __getattr__), so `from payments.services import payday_run` works
# without an import cycle.
PAYDAY_SERVICES = frozenset({"payday_run", "payday_preview", "payday_check", "PaydayError"})


def __getattr__(name: str):
    if name in PAYDAY_SERVICES:
        from payments import payday

        return getattr(payday, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
