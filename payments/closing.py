"""Settling a closing account's money: funds back to the card or to charity, earnings paid out
or forfeited.

Money never disappears with an account: what the user holds leaves through a refund (the only
way money goes back to a card), a payout (payments.services.payouts, with its own approval,
hold and minimum) or a transfer to the charity account, and the ledger keeps every row, pointing
at the account that is anonymised later. Earnings a payout cannot take (held for a new
recipient, below the minimum) are forfeited to charity; the closing page says how much.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext

from payments import stripe_gateway
from payments.errors import PaymentError
from payments.models import Budget, Deposit, LedgerAccount, Payday, PayoutAccount, Transfer
from payments.selectors import balances_for_user, payout_minimum, payout_standing
from payments.services import (
    accounts_lock,
    deposit_refund_record,
    deposit_refund_request,
    system_account,
    transfer_post,
    user_account,
)
from payments.services.payouts import payout_request
from payments.templatetags.money import format_cents

Kind = LedgerAccount.Kind


class FundsChoice:
    REFUND = "refund"  # back to the card, as far as deposits can be refunded; the rest to charity
    CHARITY = "charity"
    CHOICES = (REFUND, CHARITY)


class EarningsChoice:
    FORFEIT = "forfeit"  # to charity
    PAYOUT = "payout"  # what is payable now through a payout, the rest to charity
    CHOICES = (FORFEIT, PAYOUT)


@dataclass(frozen=True)
class ClosingPlan:
    """What closing would do with the user's money right now, for the confirmation page."""

    funds_cents: int
    earnings_cents: int
    refundable_cents: int  # the part of the funds that can go back to a card
    owed_cents: int  # a debt stops closing until it is paid
    payable_cents: int  # what a payout could take now (0: no payout possible)
    payout_blocker: str  # why no payout is possible, in words ("" when one is)
    reserved_cents: int  # a payout already waiting for approval: it stays for the payout

    @property
    def to_charity_if_refund(self) -> int:
        return self.funds_cents - self.refundable_cents

    @property
    def forfeitable_cents(self) -> int:
        return self.earnings_cents - self.reserved_cents

    @property
    def to_charity_if_payout(self) -> int:
        return self.earnings_cents - self.reserved_cents - self.payable_cents


@dataclass(frozen=True)
class ClosingSettlement:
    refunded_cents: int
    funds_to_charity_cents: int
    earnings_to_charity_cents: int
    paid_out_cents: int = 0


def _refundable_deposits(user) -> list[Deposit]:
    return list(
        Deposit.objects.filter(user=user, credited_at__isnull=False, payment_id__isnull=False)
        .exclude(payment_id="")
        .order_by("-credited_at", "-id")
    )


def _payout_possible(user) -> tuple[int, str, int]:
    """Return (payable now, why no payout is possible or "", reserved by a waiting payout)."""
    standing = payout_standing(user)
    reserved = standing.reserved
    if standing.account is None or standing.account.status != PayoutAccount.Status.READY:
        return 0, gettext("You have not set up payouts."), reserved
    if standing.open_payout is not None:
        return 0, gettext("A payout of yours is under way; it goes ahead."), reserved
    if standing.guard_until is not None:
        return 0, gettext("Your payout details changed recently."), reserved
    if standing.payable < payout_minimum():
        message = gettext("A payout is at least %(minimum)s.") % {
            "minimum": format_cents(payout_minimum())
        }
        return 0, message, reserved
    return standing.payable, "", reserved


def closing_plan(user) -> ClosingPlan:
    """Return what settling the user's money would do (reads only)."""
    balances = balances_for_user(user)
    funds = balances["funds"]
    remaining = sum(d.amount - d.refunded_cents for d in _refundable_deposits(user))
    payable, blocker, reserved = _payout_possible(user)
    return ClosingPlan(
        funds_cents=funds,
        earnings_cents=balances["earnings"],
        refundable_cents=min(funds, remaining),
        owed_cents=-balances["receivable"],
        payable_cents=payable,
        payout_blocker=blocker,
        reserved_cents=reserved,
    )


def payday_months_done() -> list:
    """Return the months whose payday has started: their flattrs belong to payday now (a
    share it posts to a closing account reaches charity with the leftovers)."""
    return list(Payday.objects.values_list("month", flat=True))


def users_with_money(*, user_ids: list[int]) -> list:
    """Return the users among `user_ids` with funds or earnings left (one query)."""
    from accounts.models import User

    return list(
        User.objects.filter(
            pk__in=LedgerAccount.objects.filter(
                user_id__in=user_ids, kind__in=[Kind.FUNDS, Kind.EARNINGS], balance__gt=0
            ).values("user_id")
        )
    )


def _to_charity(*, user, kind: str, key: str, memo: str, keep_cents: int = 0) -> int:
    """Move the balance of the user's `kind` account, less `keep_cents` (what a payout waiting
    for approval still needs), to charity, once per key."""
    account = user_account(user, kind)
    charity = system_account(Kind.CHARITY)
    with transaction.atomic():
        balances = accounts_lock(account, charity)
        amount = balances[account.pk] - keep_cents
        if amount <= 0 or Transfer.objects.filter(key=key).exists():
            return 0
        transfer_post(
            key=key,
            kind=Transfer.Kind.CHARITY,
            debit=account,
            credit=charity,
            amount_cents=amount,
            memo=memo,
        )
    return amount


def _refund_to_cards(*, user, limit_cents: int) -> int:
    """Refund up to `limit_cents` to the cards that paid the user's deposits, newest first.

    Each Stripe call happens outside any transaction; the refund is booked at once (the same
    key and cumulative total Stripe's `charge.refunded` webhook uses, so the webhook that follows
    changes nothing). A card Stripe refuses simply keeps its part in the funds, which then go to
    charity. Return what was refunded.
    """
    refunded = 0
    for deposit in _refundable_deposits(user):
        amount = min(deposit.amount - deposit.refunded_cents, limit_cents - refunded)
        if amount <= 0:
            continue
        before = deposit.refunded_cents
        try:
            deposit_refund_request(deposit=deposit, amount_cents=amount)
        except (PaymentError, stripe_gateway.GatewayError):
            continue
        with transaction.atomic():
            locked = Deposit.objects.select_for_update().get(pk=deposit.pk)
            deposit_refund_record(deposit=locked, refunded_total_cents=before + amount)
        refunded += amount
        if refunded >= limit_cents:
            break
    return refunded


def closing_settle(*, user, funds_choice: str, earnings_choice: str) -> ClosingSettlement:
    """Settle the money of a user who is closing their account, as they chose.

    The payout is asked for first (a refused one changes nothing); then the budget is set to 0,
    so no payday takes from the funds while they are settled.
    Raise PaymentError `account_frozen` while the user owes money, `invalid_choice` for a choice
    that is not offered.
    """
    if funds_choice not in FundsChoice.CHOICES or earnings_choice not in EarningsChoice.CHOICES:
        raise PaymentError("invalid_choice", gettext("Choose what happens to your money."))
    if balances_for_user(user)["receivable"] < 0:
        raise PaymentError(
            "account_frozen",
            gettext("You owe money after a refund or a card dispute: please settle it first."),
        )
    paid_out = 0
    if earnings_choice == EarningsChoice.PAYOUT and closing_plan(user).payable_cents:
        # The reference is derived from the user, so a retried closing asks only once.
        reference = uuid.uuid5(uuid.NAMESPACE_URL, f"flattr:closing-payout:{user.pk}")
        paid_out = payout_request(user=user, amount_cents=None, reference=reference).amount
    Budget.objects.update_or_create(user=user, defaults={"monthly_cents": 0})
    refunded = 0
    if funds_choice == FundsChoice.REFUND:
        refunded = _refund_to_cards(user=user, limit_cents=closing_plan(user).refundable_cents)
    funds_charity = _to_charity(
        user=user,
        kind=Kind.FUNDS,
        key=f"close:{user.pk}:funds",
        memo="Account closed: funds given to charity",
    )
    earnings_charity = _to_charity(
        user=user,
        kind=Kind.EARNINGS,
        key=f"close:{user.pk}:earnings",
        memo="Account closed: earnings forfeited to charity",
        keep_cents=_reserved_cents(user),
    )
    return ClosingSettlement(refunded, funds_charity, earnings_charity, paid_out)


def _reserved_cents(user) -> int:
    """Earnings a payout waiting for approval still needs (they leave when it is approved)."""
    return payout_standing(user).reserved


def closing_leftovers_settle(*, user) -> int:
    """Give to charity whatever reached the user's accounts after closing (a returned share, a
    failed refund or payout); run when personal data is erased. A payout still under way keeps
    its money, and its settlement or reversal happens as for anyone. Return the amount."""
    if payout_standing(user).open_payout is not None:
        keep = {Kind.FUNDS: 0, Kind.EARNINGS: balances_for_user(user)["earnings"]}
    else:
        keep = {Kind.FUNDS: 0, Kind.EARNINGS: 0}
    total = 0
    for kind in (Kind.FUNDS, Kind.EARNINGS):
        if LedgerAccount.objects.filter(user=user, kind=kind, balance__gt=keep[kind]).exists():
            total += _to_charity(
                user=user,
                kind=kind,
                key=f"close:{user.pk}:{kind}:leftover",
                memo="Account closed: what arrived after closing, given to charity",
                keep_cents=keep[kind],
            )
    return total
