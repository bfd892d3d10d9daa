"""Twitter/X handles and the accounts behind them: resolving a handle to X's numeric id,
creating an account (its thing in core, its held pool in payments) once, recording renames,
flattring by handle, and the flattrs kept against handles X could not resolve yet.

Network calls to X (through `x_gateway`) never happen inside a database transaction. This
module writes only twitter_claims' own rows; things and flattrs change through
flattr.services, held shares and their money through payments.services.pools.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from flattr.models import Flattr, Thing
from flattr.services import (
    account_thing_closed_set,
    account_thing_create,
    flattr_add,
    flattrs_cancel,
    flattrs_move,
)
from payments.models import LedgerAccount, Share
from payments.services import accounts_lock, pool_account_create, user_account
from payments.services.pools import held_shares_move, held_shares_return
from twitter_claims import x_gateway
from twitter_claims.errors import TwitterError
from twitter_claims.models import PendingHandle, PlatformAccount
from twitter_claims.providers import Provider, ProviderError, provider_find
from twitter_claims.providers.x import PROVIDER as X
from twitter_claims.services.accounts import account_for_provider_user
from twitter_claims.services.expiry import returned_notify_on_commit
from twitter_claims.x_gateway import XError, XUser

logger = logging.getLogger(__name__)

PROVIDER = PlatformAccount.Provider.TWITTER
# Paths on twitter.com / x.com that look like a handle but are X's own pages.
RESERVED_PATHS = frozenset(
    {
        "home",
        "i",
        "search",
        "explore",
        "notifications",
        "messages",
        "settings",
        "intent",
        "share",
        "hashtag",
        "login",
        "logout",
        "signup",
        "tos",
        "privacy",
        "compose",
        "who_to_follow",
        "about",
        "download",
        "jobs",
        "account",
        "lists",
        "bookmarks",
    }
)
PROFILE_URL = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/@?(?P<handle>[A-Za-z0-9_]{1,15})/?"
    r"(?:[?#].*)?$",
    re.IGNORECASE,
)


def handle_normalize(raw: str) -> str:
    """Return the handle in `raw` ("alice", "@alice" or a profile URL), or raise invalid_handle."""
    text = (raw or "").strip() if isinstance(raw, str) else ""
    match = PROFILE_URL.match(text)
    if match:
        text = match.group("handle")
    text = text.removeprefix("@")
    if not x_gateway.HANDLE_RE.match(text) or text.lower() in RESERVED_PATHS:
        raise TwitterError("invalid_handle")
    return text


def account_for_x_user(*, x_user: XUser) -> PlatformAccount:
    """Return the platform account for this X user id, creating it (thing and pool) once."""
    return account_for_provider_user(provider=X, domain=X.domain, user=x_user)


def handle_cache_key(handle: str) -> str:
    return f"twitter:handle:{handle.lower()}"


def _stale_handles_refresh(handle: str, *, holder_pk: int) -> None:
    """Other accounts we still list under `handle` were renamed: ask X for their new handles."""
    stale = PlatformAccount.objects.filter(provider=PROVIDER, handle__iexact=handle).exclude(
        pk=holder_pk
    )
    for account in stale:
        try:
            fresh = x_gateway.user_by_id(account.user_id)
        except XError:
            continue  # the next lookup will try again; the page shows the newest holder
        if fresh is not None and fresh.id == account.user_id:
            account_for_x_user(x_user=fresh)


def thing_for_handle(handle: str) -> Thing:
    """Return the thing donors flattr for the X account that holds `handle` right now.

    The handle is resolved to X's numeric id through the API (answers cached for
    TWITTER_HANDLE_CACHE_SECONDS). When X cannot answer (no credentials, rate limit, outage),
    return the thing of a pending handle instead: the flattr is kept against the handle and bound
    later by `handles_resolve` under the rules in the README. Raise TwitterError for an invalid
    or unknown handle, or an owner who refuses new flattrs.
    """
    handle = handle_normalize(handle)
    account = None
    cached_id = cache.get(handle_cache_key(handle))
    if cached_id:
        account = PlatformAccount.objects.filter(provider=PROVIDER, user_id=cached_id).first()
    if account is None:
        try:
            x_user = x_gateway.user_by_username(handle)
        except XError as error:
            logger.warning("X could not resolve @%s (%s); keeping it pending", handle, error)
            return pending_handle_thing(handle)
        if x_user is None:
            raise TwitterError("unknown_handle")
        account = account_for_x_user(x_user=x_user)
        cache.set(handle_cache_key(handle), x_user.id, settings.TWITTER_HANDLE_CACHE_SECONDS)
        _stale_handles_refresh(x_user.username, holder_pk=account.pk)
    if account.flattrs_opted_out:
        raise TwitterError("opted_out")
    return account.thing


def thing_for_profile_url(url: str) -> Thing | None:
    """Return the thing for a Twitter/X profile URL (`https://twitter.com/<handle>`,
    `https://x.com/<handle>`), or None if `url` is not a profile URL.

    For the things app's auto-submit and API: None means "not ours, treat it as a web page";
    a TwitterError (a FlattrError) means a profile URL we refuse (unknown handle, opted out).
    """
    match = PROFILE_URL.match((url or "").strip()) if isinstance(url, str) else None
    if not match or match.group("handle").lower() in RESERVED_PATHS:
        return None
    return thing_for_handle(match.group("handle"))


def pending_handle_thing(handle: str, *, provider: Provider = X, domain: str = "") -> Thing:
    """Return the thing of the open pending handle for `handle` on the provider (X unless
    told), creating it (and its pool)."""
    domain = domain or provider.domain
    existing = PendingHandle.objects.filter(
        state=PendingHandle.State.OPEN,
        provider=provider.key,
        domain__iexact=domain,
        handle__iexact=handle,
    )
    found = existing.select_related("thing").first()
    if found:
        return found.thing
    label = provider.account_label(handle, domain)
    if provider.key == X.key:
        url = f"https://x.com/{handle}"
    else:  # a profile URL of ours: the provider's own names the account by its id only
        url = settings.SITE_URL + provider.account_page(handle, domain)
    try:
        with transaction.atomic():
            pool = pool_account_create(label=f"Held for {label} (not yet resolved)")
            thing = account_thing_create(payee=pool, url=url, title=label)
            PendingHandle.objects.create(
                provider=provider.key, domain=domain, handle=handle, thing=thing, pool=pool
            )
            return thing
    except IntegrityError:
        return existing.select_related("thing").get().thing


def twitter_flattr_add(*, donor, handle: str, source: str = "site") -> Flattr:
    """Flattr the X account that holds `handle`: the same rules as any thing (once a month,
    pending until payday, removable), through `flattr.services.flattr_add`."""
    thing = thing_for_handle(handle)
    return flattr_add(donor=donor, thing=thing, source=source)


# ---- Flattrs kept against handles X could not resolve ------------------------------------


def handles_resolve(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Try to resolve open pending handles (and finish ones resolved earlier that still hold
    flattrs). Return counts by outcome."""
    now = now or timezone.now()
    counts = {"resolved": 0, "failed": 0, "waiting": 0}
    live = Flattr.objects.filter(thing_id=OuterRef("thing_id")).filter(
        Q(share__isnull=True) | Q(share__state=Share.State.HELD)
    )
    candidates = (
        PendingHandle.objects.filter(Q(state=PendingHandle.State.OPEN) | Exists(live))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pending_id in candidates:
        outcome = pending_handle_resolve(pending_id=pending_id, now=now)
        counts[outcome] += 1
    return counts


def pending_handle_resolve(*, pending_id: int, now: dt.datetime | None = None) -> str:
    """Resolve one pending handle and bind or release its flattrs; return the outcome.

    Rules (README, "Flattrs for handles X could not resolve"):
    - a flattr binds to the X account that holds the handle when it is resolved, only if that
      happens within TWITTER_HANDLE_BIND_HOURS of the flattr;
    - a flattr older than that is released: cancelled while pending, its share returned to the
      donor once payday has split it; never given to whoever holds the handle later;
    - if X says nobody holds the handle, or its owner refuses flattrs, all are released.
    """
    now = now or timezone.now()
    pending = PendingHandle.objects.select_related("account").get(pk=pending_id)
    if pending.state == PendingHandle.State.OPEN:
        provider = provider_find(pending.provider)
        try:
            if provider is None:  # its module is no longer registered: wait, do not guess
                raise ProviderError("not_configured", f"{pending.provider} is not registered.")
            if provider.key == X.key:
                x_user = x_gateway.user_by_username(pending.handle)
            else:
                x_user = provider.user_lookup(pending.handle, pending.domain)
        except (XError, ProviderError) as error:
            PendingHandle.objects.filter(pk=pending.pk).update(
                attempts=pending.attempts + 1, last_error=str(error)[: PendingHandle.LAST_ERROR_MAX]
            )
            _pending_settle(pending_id, account=None, now=now, release_all=False)
            return "waiting"
        account = (
            account_for_provider_user(provider=provider, domain=pending.domain, user=x_user)
            if x_user is not None
            else None
        )
    else:
        account = pending.account
    _pending_settle(pending_id, account=account, now=now, release_all=account is None)
    return "resolved" if account is not None else "failed"


def _split(flattr: Flattr) -> bool:
    """Return whether payday split this flattr already (it has a share)."""
    return hasattr(flattr, "share")


@transaction.atomic
def _pending_settle(
    pending_id: int, *, account: PlatformAccount | None, now: dt.datetime, release_all: bool
) -> None:
    """Bind (to `account`) or release the live flattrs of a pending handle.

    With `account` None and `release_all` False (X still silent), only flattrs too old to bind
    are released. Lock order: the pending handle row, then every ledger account involved at
    once in id order (payments.services.accounts_lock), then the flattrs (flattr.services).
    """
    pending = PendingHandle.objects.select_for_update().select_related("pool").get(pk=pending_id)
    window_start = now - dt.timedelta(hours=settings.TWITTER_HANDLE_BIND_HOURS)
    flattrs = list(
        Flattr.objects.filter(thing_id=pending.thing_id)
        .filter(Q(share__isnull=True) | Q(share__state=Share.State.HELD))
        .select_related("donor", "share")
        .order_by("created_at", "pk")
    )
    target = None
    if account is not None:
        account = PlatformAccount.objects.select_related("thing__payee").get(pk=account.pk)
        target = None if account.flattrs_opted_out else account.thing
        release_all = release_all or target is None  # its owner refuses flattrs
    # Every ledger account a bind or return below may touch, locked at once in id order.
    ledger = [pending.pool, *([target.payee] if target is not None else [])]
    ledger += [user_account(f.donor, LedgerAccount.Kind.FUNDS) for f in flattrs if _split(f)]
    accounts_lock(*ledger)
    bind: list[Flattr] = []
    release: list[Flattr] = []
    for flattr in flattrs:
        in_window = flattr.created_at >= window_start
        if target is None and not release_all and in_window:
            continue  # X is silent; this flattr may still bind later
        duplicate = (
            target is not None
            and Flattr.objects.filter(donor_id=flattr.donor_id, thing=target, month=flattr.month)
            .exclude(pk=flattr.pk)
            .exists()
        )
        (bind if target is not None and in_window and not duplicate else release).append(flattr)
    if bind:
        held_shares_move(
            share_ids=[f.share.pk for f in bind if _split(f)],
            thing_id=target.pk,
            payee_id=target.payee_id,
            memo=target.title,
        )
        flattrs_move(flattr_ids=[f.pk for f in bind], thing_id=target.pk)
    split = [f.share.pk for f in release if _split(f)]
    returned = [row.share_id for row in held_shares_return(share_ids=split, now=now)]
    cancelled = [(f.donor_id, pending.handle) for f in release if not _split(f)]
    flattrs_cancel(flattr_ids=[f.pk for f in release if not _split(f)])
    if account is not None or release_all:
        pending.state = (
            PendingHandle.State.RESOLVED if account is not None else PendingHandle.State.FAILED
        )
        pending.account = account
        pending.resolved_at = pending.resolved_at or now
        pending.save(update_fields=["state", "account", "resolved_at"])
        account_thing_closed_set(thing_id=pending.thing_id, closed=True)
    if returned:
        returned_notify_on_commit(returned, reason="unresolved")
    if cancelled:
        from twitter_claims.tasks import cancelled_flattrs_notify

        transaction.on_commit(lambda: cancelled_flattrs_notify.delay(cancelled))
