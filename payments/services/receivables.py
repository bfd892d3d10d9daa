"""Debts: refunds and disputes the funds could not cover, and their settlement.

A refund or chargeback undoes a deposit; what the funds no longer hold becomes a debt on the
user's receivable account, paid first from the next money that comes in.
"""

from __future__ import annotations

from payments.models import (
    Transfer,
)
from payments.services.ledger import (
    Kind,
    accounts_lock,
    system_account,
    transfer_post,
    user_account,
)


def wallet_debit(*, user, amount_cents: int, kind: str, key: str, memo: str) -> int:
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
