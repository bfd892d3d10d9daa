"""Held pools: money payday credited to a platform account that has not joined yet.

Payday puts each share for such an account into its pool (a POOL ledger account; the share is
`held`). Everything else that happens to that money is here, for any platform app to call:

- `pool_settle`: the owner claimed the account; the whole pool goes to their earnings;
- `held_shares_return`: held shares go back to their donors' funds (expiry, or a platform app
  releasing them), set-based in payments/sql/held_shares_*.sql;
- `held_shares_move`: held shares move, with their money, to another payee (a handle that was
  kept pending turned out to belong to an account with its own pool, or a claimed one).

Lock order, the same everywhere in payments: the ledger accounts involved, in id order
(`accounts_lock`, `transfer_post`, held_shares_lock.sql), before any share of those accounts is
read or changed, so a claim, an expiry and a payday touching one pool wait for each other and
never deadlock. Callers lock their own rows (a platform account, a pending handle) before calling.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from payments.models import LedgerAccount, Share, Transfer
from payments.services import accounts_lock, transfer_post, user_account

logger = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
RETURN_MEMO_EXPIRED = "unclaimed share returned"
RETURN_MEMO_RELEASED = "held share released"


def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


@dataclass(frozen=True)
class PoolSettlement:
    amount_cents: int  # moved from the pool to the owner's earnings
    shares: int  # held shares that became claimed
    donors: int  # distinct donors of those shares


@transaction.atomic
def pool_settle(*, pool_id: int, user, key_prefix: str, memo: str = "") -> PoolSettlement:
    """Move everything the pool holds to `user`'s earnings in one CLAIM transfer, and mark its
    held shares claimed.

    The pool and the earnings are locked first (id order), and the balance and the held shares
    are read only under that lock, so a concurrent expiry either ran before (the owner gets
    what is left) or waits. The transfer's key is `<key_prefix>:<n>`, n counting this pool's
    claim transfers, so money a late payday adds is settled by a later call under a new key.
    """
    earnings = user_account(user, LedgerAccount.Kind.EARNINGS)
    pool = LedgerAccount.objects.get(pk=pool_id)
    balances = accounts_lock(pool, earnings)
    held = Share.objects.filter(payee_id=pool_id, state=Share.State.HELD)
    stats = held.aggregate(
        total=Coalesce(Sum("amount"), 0), n=Count("id"), donors=Count("donor_id", distinct=True)
    )
    held.update(state=Share.State.CLAIMED, settled_at=timezone.now())
    amount = balances[pool_id]
    if stats["total"] != amount:
        logger.error(
            "Pool %s holds %s cents but its held shares sum to %s", pool_id, amount, stats["total"]
        )
    if amount > 0:
        n = Transfer.objects.filter(kind=Transfer.Kind.CLAIM, debit_id=pool_id).count() + 1
        transfer_post(
            key=f"{key_prefix}:{n}",
            kind=Transfer.Kind.CLAIM,
            debit=pool,
            credit=earnings,
            amount_cents=amount,
            memo=memo,
        )
    return PoolSettlement(amount_cents=amount, shares=stats["n"], donors=stats["donors"])


@dataclass(frozen=True)
class ReturnedShare:
    share_id: int
    donor_id: int
    pool_id: int
    amount_cents: int


@transaction.atomic
def held_shares_return(
    *,
    cutoff: dt.datetime | None = None,
    share_ids: list[int] | None = None,
    now: dt.datetime | None = None,
) -> list[ReturnedShare]:
    """Give held shares back to their own donors' funds: every held share of a payday that
    started before `cutoff`, and the held shares `share_ids`. One transfer per share with money
    (key `expiry:<share id>`, so a rerun never pays one back twice); the shares become
    `returned`. Set-based: three statements in payments/sql/ (open missing funds accounts, lock
    every account involved in id order, then return all in one statement).
    """
    now = now or timezone.now()
    params = {
        "cutoff": cutoff,
        "share_ids": list(share_ids or []),
        "now": now,
        "memo": RETURN_MEMO_EXPIRED if cutoff is not None else RETURN_MEMO_RELEASED,
    }
    if cutoff is None and not params["share_ids"]:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_sql("held_shares_funds_open"), params)
        cursor.execute(_sql("held_shares_lock"), params)
        cursor.execute(_sql("held_shares_return"), params)
        rows = cursor.fetchall()
    return [ReturnedShare(*row) for row in rows]


@transaction.atomic
def held_shares_move(*, share_ids: list[int], thing_id: int, payee_id: int, memo: str = "") -> int:
    """Move held shares, with their money, to another thing and payee (key `bind:<share id>`).

    Into a pool they stay held; into a user's earnings they become paid. Both sides are locked
    in id order first; shares no longer held (claimed or returned meanwhile) are left alone.
    Return how many moved.
    """
    if not share_ids:
        return 0
    payee = LedgerAccount.objects.get(pk=payee_id)
    shares = list(Share.objects.filter(pk__in=share_ids).order_by("pk"))
    pools = LedgerAccount.objects.filter(pk__in={share.payee_id for share in shares})
    accounts_lock(payee, *pools)
    shares = list(
        Share.objects.filter(pk__in=share_ids, state=Share.State.HELD)
        .select_related("payee")
        .order_by("pk")
    )
    for share in shares:
        if share.amount > 0:
            transfer_post(
                key=f"bind:{share.pk}",
                kind=Transfer.Kind.SHARE,
                debit=share.payee,
                credit=payee,
                amount_cents=share.amount,
                month=share.month,
                memo=memo,
            )
    state = Share.State.HELD if payee.kind == LedgerAccount.Kind.POOL else Share.State.PAID
    Share.objects.filter(pk__in=[share.pk for share in shares]).update(
        thing_id=thing_id, payee=payee, state=state
    )
    return len(shares)
