"""Payout standings for many recipients at once, and the payout queue the admin works from.

`payout_standings` is the one implementation of a recipient's standing (payable, held, guard,
trusted); `payments.selectors.payout_standing` asks it for one user. It costs five queries
whatever the number of recipients, so the queue in the admin and on the home panel stays at a
fixed number of queries however long it is.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from payments.models import LedgerAccount, Payout, PayoutAccount, Transfer
from payments.selectors import PayoutStanding

Kind = LedgerAccount.Kind
QUEUE_SHOWN = 10  # oldest waiting payouts on the home panel


def payout_standings(user_ids, *, now: dt.datetime | None = None) -> dict[int, PayoutStanding]:
    """Return each recipient's standing by user id (see PayoutStanding)."""
    now = now or timezone.now()
    user_ids = list(set(user_ids))
    earnings = {
        user_id: (account_id, balance)
        for user_id, account_id, balance in LedgerAccount.objects.filter(
            user_id__in=user_ids, kind=Kind.EARNINGS
        ).values_list("user_id", "id", "balance")
    }
    last_paid = dict(
        Payout.objects.filter(user_id__in=user_ids, status=Payout.Status.PAID)
        .values("user_id")
        .annotate(last=Max("finished_at"))
        .values_list("user_id", "last")
    )
    days = int(settings.NEW_RECIPIENT_HOLD_DAYS)
    young = {
        credit_id: (total, newest)
        for credit_id, total, newest in Transfer.objects.filter(
            credit_id__in=[account_id for account_id, _balance in earnings.values()],
            created_at__gt=now - dt.timedelta(days=days),
        )
        .exclude(kind=Transfer.Kind.PAYOUT_REVERSAL)
        .values("credit_id")
        .annotate(total=Sum("amount"), newest=Max("created_at"))
        .values_list("credit_id", "total", "newest")
    }
    open_payouts = {
        payout.user_id: payout
        for payout in Payout.objects.filter(user_id__in=user_ids, status__in=Payout.OPEN_STATUSES)
    }
    accounts = {
        account.user_id: account for account in PayoutAccount.objects.filter(user_id__in=user_ids)
    }
    standings = {}
    for user_id in user_ids:
        account_id, balance = earnings.get(user_id, (None, 0))
        paid = last_paid.get(user_id)
        held, held_until = 0, None
        if paid is None and account_id is not None and account_id in young:
            total, newest = young[account_id]
            held = min(balance, int(total or 0))
            if held:
                held_until = timezone.localdate(newest + dt.timedelta(days=days))
        open_payout = open_payouts.get(user_id)
        reserved = (
            open_payout.amount
            if open_payout is not None and open_payout.status == Payout.Status.REQUESTED
            else 0
        )
        account = accounts.get(user_id)
        guard_until = None
        if account is not None and account.details_changed_at is not None:
            until = account.details_changed_at + dt.timedelta(
                days=int(settings.PAYOUT_DETAILS_GUARD_DAYS)
            )
            guard_until = until if until > now else None
        trusted = paid is not None and (
            account is not None
            and (account.details_changed_at is None or account.details_changed_at < paid)
        )
        standings[user_id] = PayoutStanding(
            earnings=balance,
            held=held,
            held_until=held_until,
            reserved=reserved,
            payable=max(0, balance - held - reserved),
            account=account,
            guard_until=guard_until,
            trusted=trusted,
            open_payout=open_payout,
        )
    return standings


def payout_queue(limit: int = QUEUE_SHOWN) -> tuple[list[tuple[Payout, PayoutStanding]], int]:
    """Return the oldest payouts waiting for approval with their standings, and how many wait."""
    waiting = Payout.objects.filter(status=Payout.Status.REQUESTED)
    rows = list(waiting.select_related("user", "account").order_by("requested_at", "id")[:limit])
    standings = payout_standings([payout.user_id for payout in rows])
    return [(payout, standings[payout.user_id]) for payout in rows], waiting.count()
