"""Platform accounts of any provider: created once per (provider, domain, numeric id) with
their thing (in core) and held pool (in payments), renames recorded, handles resolved, and
flattring an account by handle or profile URL.

A handle the provider cannot resolve right now (down, rate limiting) is kept pending, for
every provider alike (services.handles): its flattrs wait until `handles_resolve` binds them.
No network call happens inside a transaction.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from flattr.models import Flattr, Thing
from flattr.services import account_thing_create, account_thing_rename, flattr_add
from payments.services import pool_account_create
from twitter_claims.errors import TwitterError
from twitter_claims.models import HandleHistory, PlatformAccount
from twitter_claims.providers import Provider, ProviderError, ProviderUser

logger = logging.getLogger(__name__)


def _account_create(
    provider: Provider, domain: str, user: ProviderUser, now: dt.datetime
) -> PlatformAccount:
    label = provider.account_label(user.username, domain)
    pool = pool_account_create(label=f"Held for {label} ({provider.name} id {user.id})")
    thing = account_thing_create(
        payee=pool, url=provider.thing_url(user, domain), title=label, description=user.name
    )
    return PlatformAccount.objects.create(
        provider=provider.key,
        domain=domain,
        user_id=user.id,
        handle=user.username,
        name=user.name,
        handle_checked_at=now,
        pool=pool,
        thing=thing,
    )


def _handle_record(
    provider: Provider, account: PlatformAccount, user: ProviderUser, now: dt.datetime
) -> None:
    """Store what the provider just told us: the current handle and name, and the history."""
    if account.handle != user.username or account.name != user.name:
        account.handle, account.name = user.username, user.name
        account_thing_rename(
            thing_id=account.thing_id,
            title=provider.account_label(user.username, account.domain),
            description=user.name,
        )
    account.handle_checked_at = now
    account.save(update_fields=["handle", "name", "handle_checked_at"])
    seen = HandleHistory.objects.filter(account=account, handle__iexact=user.username)
    if not seen.update(handle=user.username, last_seen_at=now):
        HandleHistory.objects.create(account=account, handle=user.username, last_seen_at=now)


def account_for_provider_user(
    *, provider: Provider, domain: str, user: ProviderUser
) -> PlatformAccount:
    """Return the account for this provider user id, creating it (thing and pool) once.

    Keyed by the numeric id: a renamed account keeps its account, pool and thing, and a handle
    taken over by someone else never reaches the old account's pool.
    """
    now = timezone.now()
    key = {"provider": provider.key, "domain": domain, "user_id": user.id}
    with transaction.atomic():
        account = PlatformAccount.objects.select_for_update().filter(**key).first()
        if account is None:
            try:
                with transaction.atomic():
                    account = _account_create(provider, domain, user, now)
            except IntegrityError:  # created by a concurrent request: use that one
                account = PlatformAccount.objects.select_for_update().get(**key)
        _handle_record(provider, account, user, now)
    return account


def handle_cache_key(provider_key: str, domain: str, handle: str) -> str:
    return f"platform:{provider_key}:{domain.lower()}:{handle.lower()}"


def _stale_refresh(provider: Provider, domain: str, handle: str, *, holder_pk: int) -> None:
    """Other accounts we still list under `handle` were renamed: ask for their new handles."""
    stale = PlatformAccount.objects.filter(
        provider=provider.key, domain=domain, handle__iexact=handle
    ).exclude(pk=holder_pk)
    for account in stale:
        try:
            fresh = provider.user_by_id(account.user_id, domain)
        except ProviderError:
            continue  # the next lookup will try again; the page shows the newest holder
        if fresh is not None and fresh.id == account.user_id:
            account_for_provider_user(provider=provider, domain=domain, user=fresh)


def account_resolve(*, provider: Provider, handle: str, domain: str) -> PlatformAccount:
    """Return the account that holds `handle` on `domain` right now, asking the provider (the
    answer is cached for TWITTER_HANDLE_CACHE_SECONDS). Raise TwitterError `invalid_account`,
    `unknown_account` or `provider_unavailable`."""
    if not provider.account_parse(provider.account_key(handle, domain)):
        raise TwitterError("invalid_account", provider=provider.name)
    cache_key = handle_cache_key(provider.key, domain, handle)
    cached_id = cache.get(cache_key)
    account = None
    if cached_id:
        account = PlatformAccount.objects.filter(
            provider=provider.key, domain=domain, user_id=cached_id
        ).first()
    if account is None:
        try:
            user = provider.user_lookup(handle, domain)
        except ProviderError as error:
            logger.warning("%s could not resolve %s (%s)", provider.name, handle, error)
            raise TwitterError("provider_unavailable", provider=provider.name) from error
        if user is None:
            raise TwitterError("unknown_account", provider=provider.name)
        account = account_for_provider_user(provider=provider, domain=domain, user=user)
        cache.set(cache_key, user.id, settings.TWITTER_HANDLE_CACHE_SECONDS)
        _stale_refresh(provider, domain, user.username, holder_pk=account.pk)
    return account


# The provider failures after which a flattr is kept against the handle (a pending handle,
# bound later by handles_resolve); any other failure refuses the flattr.
PENDING_ON = ("unavailable", "rate_limited")


def thing_for_account(*, provider: Provider, handle: str, domain: str) -> Thing:
    """Return the thing donors flattr for the account holding `handle`; raise TwitterError as
    `account_resolve` does, or `opted_out` when its owner refuses new flattrs.

    When the provider cannot answer right now (down, rate limiting), return the thing of a
    pending handle instead, as for X: the flattr waits against the handle and is bound to the
    account's stable id by `handles_resolve` once the provider answers (README rules)."""
    try:
        account = account_resolve(provider=provider, handle=handle, domain=domain)
    except TwitterError as error:
        cause = error.__cause__
        if (
            error.code != "provider_unavailable"
            or not isinstance(cause, ProviderError)
            or cause.code not in PENDING_ON
        ):
            raise
        from twitter_claims.services.handles import pending_handle_thing

        logger.warning("%s: keeping %s pending", provider.name, handle)
        return pending_handle_thing(handle, provider=provider, domain=domain)
    if account.flattrs_opted_out:
        raise TwitterError("opted_out")
    return account.thing


def account_flattr_add(*, donor, provider: Provider, raw: str, source: str = "site") -> Flattr:
    """Flattr the account `raw` names (a handle or a profile URL of `provider`): the same rules
    as any thing (once a month, pending until payday, removable), through flattr_add."""
    parsed = provider.account_parse(raw)
    if not parsed:
        raise TwitterError("invalid_account", provider=provider.name)
    thing = thing_for_account(provider=provider, handle=parsed[0], domain=parsed[1])
    return flattr_add(donor=donor, thing=thing, source=source)
