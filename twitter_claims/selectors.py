"""Reads of Twitter/X accounts and their held pools."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from flattr.models import Flattr
from flattr.selectors import thing_pending_worth
from payments.models import LedgerAccount, Share, Transfer
from payments.months import month_next, month_start
from payments.selectors import held_share_oldest_since
from twitter_claims.models import OwnerNotice, PendingHandle, PlatformAccount

PROVIDER = PlatformAccount.Provider.TWITTER


def _held_donors_subquery() -> Subquery:
    """Distinct donors of the held shares in the account's pool, as an annotation."""
    return Subquery(
        Share.objects.filter(payee_id=OuterRef("pool_id"), state=Share.State.HELD)
        .order_by()
        .values("payee_id")
        .annotate(n=Count("donor_id", distinct=True))
        .values("n"),
        output_field=IntegerField(),
    )


def account_for_handle(handle: str) -> PlatformAccount | None:
    """Return the account we last saw holding `handle` (case-insensitive), or None.

    Two accounts can carry the same handle here until we learn of a rename; the one X confirmed
    most recently is the current holder.
    """
    return (
        PlatformAccount.objects.filter(provider=PROVIDER, handle__iexact=handle)
        .select_related("pool", "thing", "claimed_by")
        .order_by("-handle_checked_at", "-pk")
        .first()
    )


def account_on(*, provider: str, domain: str, handle: str) -> PlatformAccount | None:
    """Return the account of `provider` on `domain` we last saw holding `handle`, or None."""
    return (
        PlatformAccount.objects.filter(provider=provider, domain=domain, handle__iexact=handle)
        .select_related("pool", "thing", "claimed_by")
        .order_by("-handle_checked_at", "-pk")
        .first()
    )


def accounts_linked_to(user) -> QuerySet[PlatformAccount]:
    """Return every platform account this user claimed (any provider)."""
    if not getattr(user, "is_authenticated", False):
        return PlatformAccount.objects.none()
    return (
        PlatformAccount.objects.filter(claimed_by=user)
        .select_related("pool", "thing")
        .order_by("provider", "domain")
    )


def pending_handle_for(handle: str) -> PendingHandle | None:
    """Return the open pending handle for `handle` (flattrs waiting for X to answer), or None."""
    return (
        PendingHandle.objects.filter(state=PendingHandle.State.OPEN, handle__iexact=handle)
        .select_related("pool", "thing")
        .first()
    )


def account_linked_to(user) -> PlatformAccount | None:
    """Return the X account this user claimed, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        PlatformAccount.objects.filter(provider=PROVIDER, claimed_by=user)
        .select_related("pool", "thing")
        .first()
    )


@dataclass(frozen=True)
class PoolSummary:
    held_cents: int  # what the pool holds now
    donors: int  # distinct donors of the held shares
    shares: int
    oldest_returns_on: dt.date | None  # when the oldest held share goes back to its donor
    pending_flattrs: int  # flattrs not yet split (this month's, until payday)
    donor_flattred: bool = False  # the visitor (`donor`) flattred the account this month


def pool_summary(*, pool_id: int, thing_id: int, donor=None) -> PoolSummary:
    """Return what a pool holds, from how many donors, and when its oldest share expires; and
    whether `donor` (the visitor, if logged in) flattred the account this month, in the same
    query as the pending count."""
    held = Share.objects.filter(payee_id=pool_id, state=Share.State.HELD).aggregate(
        donors=Count("donor_id", distinct=True),
        shares=Count("id"),
    )
    oldest = held_share_oldest_since(payee_id=pool_id)
    balance = LedgerAccount.objects.filter(pk=pool_id).values_list("balance", flat=True).first()
    donor_id = donor.pk if getattr(donor, "is_authenticated", False) else None
    flattrs = Flattr.objects.filter(thing_id=thing_id).aggregate(
        pending=Count("id", filter=Q(share__isnull=True)),
        mine=Count("id", filter=Q(donor_id=donor_id, month=month_start())),
    )
    returns_on = None
    if oldest is not None:
        returns_on = (oldest + dt.timedelta(days=settings.UNCLAIMED_HOLD_DAYS)).date()
    return PoolSummary(
        held_cents=balance or 0,
        donors=held["donors"],
        shares=held["shares"],
        oldest_returns_on=returns_on,
        pending_flattrs=flattrs["pending"],
        donor_flattred=donor_id is not None and flattrs["mine"] > 0,
    )


def waiting_list(*, limit: int | None = 50) -> QuerySet[PlatformAccount]:
    """Return the unclaimed accounts with the largest held pools, each with `donors` (all of
    them with limit=None, for a paginator)."""
    accounts = (
        PlatformAccount.objects.filter(
            provider=PROVIDER,
            claimed_by__isnull=True,
            flattrs_opted_out=False,
            pool__balance__gt=0,
        )
        .select_related("pool")
        .annotate(donors=Coalesce(_held_donors_subquery(), 0))
        .order_by("-pool__balance", "pk")
    )
    return accounts if limit is None else accounts[:limit]


def waiting_totals() -> dict[str, int]:
    """Return the money held for all unclaimed accounts and how many accounts hold some."""
    totals = PlatformAccount.objects.filter(claimed_by__isnull=True, pool__balance__gt=0).aggregate(
        accounts=Count("id"), held=Coalesce(Sum("pool__balance"), 0)
    )
    return {"accounts": totals["accounts"], "held_cents": totals["held"]}


def notices_due(*, now: dt.datetime | None = None) -> QuerySet[PlatformAccount]:
    """Return the accounts whose owner should be told now, each annotated with `donors`.

    Due when: unclaimed, not opted out, the pool holds at least TWITTER_NOTIFY_THRESHOLD_CENTS
    from at least TWITTER_NOTIFY_MIN_DONORS donors, no notice was posted (or is being posted)
    within TWITTER_NOTIFY_COOLDOWN_DAYS, and the pool holds more than at the last notice (so a
    reminder after the cooldown needs new money, and a pool that shrank below the threshold and
    grew back is told again).
    """
    now = now or timezone.now()
    counted = [OwnerNotice.State.SENDING, OwnerNotice.State.SENT]
    recent = OwnerNotice.objects.filter(
        account_id=OuterRef("pk"),
        state__in=counted,
        created_at__gte=now - dt.timedelta(days=settings.TWITTER_NOTIFY_COOLDOWN_DAYS),
    )
    last_amount = (
        OwnerNotice.objects.filter(account_id=OuterRef("pk"), state__in=counted)
        .order_by("-created_at", "-pk")
        .values("pool_cents")[:1]
    )
    from twitter_claims.providers import provider_list

    notifying = [p.key for p in provider_list() if p.can_notify]
    return (
        PlatformAccount.objects.filter(
            provider__in=notifying,
            claimed_by__isnull=True,
            notices_opted_out=False,
            flattrs_opted_out=False,
            pool__balance__gte=settings.TWITTER_NOTIFY_THRESHOLD_CENTS,
        )
        .select_related("pool")
        .annotate(
            donors=Coalesce(_held_donors_subquery(), 0),
            last_amount=Subquery(last_amount),
        )
        .filter(donors__gte=settings.TWITTER_NOTIFY_MIN_DONORS)
        .exclude(Exists(recent))
        .filter(Q(last_amount__isnull=True) | Q(pool__balance__gt=F("last_amount")))
        .order_by("pk")
    )


@dataclass(frozen=True)
class ClaimSummary:
    credited_cents: int  # everything moved from the pool to the owner (claim and sweeps)
    shares: int
    donors: int
    # What had gone back to its donors before the claim (it lost the race to expiry).
    returned_cents: int = 0
    returned_donors: int = 0
    # Flattrs not split yet: they reach the owner on the next payday.
    pending_flattrs: int = 0
    next_payday: dt.date | None = None
    # What this month's pending flattrs bring if payday ran now (after the fee), and whether
    # that counts every donor (flattr.selectors.thing_pending_worth).
    pending_cents: int = 0
    pending_estimate_complete: bool = True


def claim_summary(account: PlatformAccount) -> ClaimSummary:
    """Return what the owner received from the pool when (and since) they claimed it, and
    what had gone back to its donors instead."""
    credited = Transfer.objects.filter(
        kind=Transfer.Kind.CLAIM, debit_id=account.pool_id
    ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    claimed = Share.objects.filter(payee_id=account.pool_id, state=Share.State.CLAIMED).aggregate(
        shares=Count("id"), donors=Count("donor_id", distinct=True)
    )
    returned = Share.objects.filter(payee_id=account.pool_id, state=Share.State.RETURNED).aggregate(
        total=Coalesce(Sum("amount"), 0), donors=Count("donor_id", distinct=True)
    )
    worth = thing_pending_worth(account.thing_id)
    return ClaimSummary(
        credited_cents=credited,
        shares=claimed["shares"],
        donors=claimed["donors"],
        returned_cents=returned["total"],
        returned_donors=returned["donors"],
        pending_flattrs=Flattr.objects.filter(
            thing_id=account.thing_id, share__isnull=True
        ).count(),
        next_payday=next_payday(),
        pending_cents=worth.cents,
        pending_estimate_complete=worth.complete,
    )


def next_payday() -> dt.date:
    """Return the day this month's flattrs are split (payday runs on the 1st)."""
    return month_next(month_start())


def donors_of_account(account: PlatformAccount) -> list[int]:
    """Return the ids of everyone who flattred this account (split or still pending)."""
    return list(
        Flattr.objects.filter(thing_id=account.thing_id)
        .order_by()
        .values_list("donor_id", flat=True)
        .distinct()
    )


def profile_url_handle(url: str) -> str | None:
    """Return the handle of a Twitter/X profile URL (`https://x.com/<handle>`), else None.

    Reads only the string: no call to X, nothing written. Auto-submit uses it to send such URLs
    to the account's page, where the Twitter rules (resolution by id, held pools) apply.
    """
    from twitter_claims.services.handles import PROFILE_URL, RESERVED_PATHS

    match = PROFILE_URL.match(url.strip()) if isinstance(url, str) else None
    if not match or match.group("handle").lower() in RESERVED_PATHS:
        return None
    return match.group("handle")
