"""Closing an account, from the confirmation to the erasure 7 days later.

Core is the lowest layer that knows all the parts, so it runs the steps, each through the app
that owns the rows:

1. payments settles the money as the user chose (payments.closing.closing_settle);
2. core stops the user's things taking flattrs (closed, and hidden from listings) and drops
   the pending flattrs on them and the user's own pending flattrs and subscriptions, so payday
   never splits a budget onto a closed account;
3. accounts deactivates the account (accounts.closing.account_closing_start);
4. after CLOSING_GRACE_DAYS a daily task gives whatever arrived since to charity (payments),
   anonymises the things (core) and erases the personal fields (accounts). Ledger rows stay,
   pointing at the anonymised user row.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.closing import account_closing_start, accounts_due_for_erasure, accounts_erase
from flattr.models import DataExport, Flattr, Subscription, Thing
from flattr.selectors import count_cache_invalidate
from payments.closing import (
    closing_leftovers_settle,
    closing_settle,
    payday_months_done,
    users_with_money,
)


def _user_things(user):
    """The user's things: owned ones, and Twitter/X accounts they claimed (payee = earnings)."""
    return Thing.objects.filter(Q(owner=user) | Q(payee__user=user))


def _pending_flattrs():
    """Flattrs payday has not split yet: this month's, and earlier ones whose payday has not
    run (between the 1st at midnight and payday's run)."""
    return Flattr.objects.filter(share__isnull=True).exclude(month__in=payday_months_done())


@transaction.atomic
def things_close(*, user) -> int:
    """Close and unlist the user's things and drop every pending flattr on them, and the user's
    own pending flattrs and running subscriptions. Return how many flattrs were dropped.

    `hidden` alone only unlists (Flattr's meaning); `closed` is what refuses new flattrs."""
    thing_ids = list(_user_things(user).values_list("pk", flat=True))
    Thing.objects.filter(pk__in=thing_ids).update(
        hidden=True, closed=True, updated_at=timezone.now()
    )
    dropped, _ = _pending_flattrs().filter(Q(thing_id__in=thing_ids) | Q(donor=user)).delete()
    Subscription.objects.filter(
        Q(donor=user) | Q(thing_id__in=thing_ids), cancelled_at__isnull=True
    ).update(cancelled_at=timezone.now())
    transaction.on_commit(lambda: count_cache_invalidate(thing_ids=thing_ids))
    return dropped


def account_close(*, user, funds_choice: str, earnings_choice: str):
    """Close the user's account: settle the money, stop the things, deactivate. Return the
    settlement (what was refunded and given to charity).

    Raise payments.errors.PaymentError when the money cannot be settled (a debt, a choice not
    offered); then nothing has changed. The money step makes network calls (refunds), so it
    runs outside any transaction; each of its transfers is idempotent, so a retry after a crash
    settles only what is left.
    """
    settlement = closing_settle(
        user=user, funds_choice=funds_choice, earnings_choice=earnings_choice
    )
    things_close(user=user)
    account_closing_start(user=user)
    return settlement


@transaction.atomic
def _things_anonymise(*, user_ids: list[int]) -> None:
    """Blank what the closed users wrote on their things; the rows stay for donors' statements."""
    Thing.objects.filter(owner_id__in=user_ids).update(
        title="—",
        description="",
        tags=[],
        hidden=True,
        closed=True,
        url=Concat(Value("closed:"), Cast("id", output_field=CharField())),
    )
    DataExport.objects.filter(user_id__in=user_ids).delete()


def accounts_erase_due() -> int:
    """Erase every closing account whose grace period is over; return how many (daily task)."""
    ids = list(accounts_due_for_erasure().values_list("pk", flat=True))
    for user in users_with_money(user_ids=ids):  # money that arrived after closing; rare
        closing_leftovers_settle(user=user)
    if ids:
        _things_anonymise(user_ids=ids)
    return accounts_erase(user_ids=ids)
