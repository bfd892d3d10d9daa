"""Expiry: held shares older than UNCLAIMED_HOLD_DAYS go back to their donors.

The money moves in payments (`payments.services.pools.held_shares_return`, set-based SQL); this
module decides what is due and tells the donors after commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments.services.pools import held_shares_return

EXPIRY_EMAIL_BATCH = 500


@dataclass(frozen=True)
class ExpiryResult:
    shares: int
    donors: int
    amount_cents: int


@transaction.atomic
def pools_expire(*, now: dt.datetime | None = None) -> ExpiryResult:
    """Return every held share paid into its pool more than UNCLAIMED_HOLD_DAYS ago (counted
    from the share's own payday transfer, not from when its payday row started) to its
    donor's funds: each donor gets exactly the shares they gave, one transfer per share (key
    `expiry:<share id>`), and the shares become `returned`.

    Idempotent (a rerun finds no held share that is due) and safe against a concurrent claim:
    the pools and funds involved are locked in id order first, and the shares are read after.
    Donors are emailed after commit, one email each.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.UNCLAIMED_HOLD_DAYS)
    rows = held_shares_return(cutoff=cutoff, now=now)
    if rows:
        returned_notify_on_commit([row.share_id for row in rows], reason="expired")
    return ExpiryResult(
        shares=len(rows),
        donors=len({row.donor_id for row in rows}),
        amount_cents=sum(row.amount_cents for row in rows),
    )


def returned_notify_on_commit(share_ids: list[int], *, reason: str) -> None:
    """Once the caller commits, email each donor about their returned shares, in batches."""
    from twitter_claims.tasks import returned_shares_notify

    for start in range(0, len(share_ids), EXPIRY_EMAIL_BATCH):
        batch = share_ids[start : start + EXPIRY_EMAIL_BATCH]
        transaction.on_commit(lambda b=batch: returned_shares_notify.delay(b, reason))
