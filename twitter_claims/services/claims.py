"""Claims and the owner's choices: binding a platform account to the user who proved they own
it (and giving them its pool), finishing claims that raced a payday, a new user signing up with
Twitter, and opting out of notices or flattrs.

Lock order of a claim: the platform account row (ours), then its thing (flattr.services), then
the pool and the owner's earnings in id order (payments.services.pools.pool_settle, through
accounts_lock and transfer_post). Payday and expiry lock ledger accounts in id order too, so
a claim racing either waits and never deadlocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from flattr.services import (
    account_thing_claim,
    account_thing_closed_set,
    account_thing_release,
)
from payments.models import LedgerAccount
from payments.services import user_account
from payments.services.pools import pool_settle
from twitter_claims.errors import TwitterError
from twitter_claims.models import PlatformAccount
from twitter_claims.services.handles import account_for_x_user, handle_cache_key
from twitter_claims.x_gateway import XUser

OPT_OUT_CHOICES = ("notices", "all", "none")


@dataclass(frozen=True)
class ClaimResult:
    account: PlatformAccount
    amount_cents: int  # moved from the pool to the owner's earnings by this claim
    shares: int  # held shares that became claimed
    donors: int  # distinct donors of those shares
    already: bool = False  # the user had claimed this account before: nothing changed


def _pool_to_owner(account: PlatformAccount, user):
    return pool_settle(
        pool_id=account.pool_id,
        user=user,
        key_prefix=f"claim:{account.pk}",
        memo=f"@{account.handle}",
    )


def _user_has_account(account: PlatformAccount) -> TwitterError:
    if account.provider == PlatformAccount.Provider.TWITTER:
        return TwitterError("user_has_account")
    return TwitterError("provider_user_has_account", provider=account.provider_module.name)


@transaction.atomic
def pool_claim(*, account_id: int, user) -> ClaimResult:
    """Bind the platform account to `user` and give them everything it holds, exactly once.

    One transaction: lock the account row; refuse if someone else claimed it (and the database's
    unique constraints refuse a second X account per user even under a race); give its thing to
    the user (owner, and payee = their earnings, so later shares go straight to them); move the
    whole pool in one CLAIM transfer (key `claim:<account id>:<n>`); mark held shares claimed.
    Donors are emailed, and button counts and badges forgotten, after commit.
    """
    account = PlatformAccount.objects.select_for_update().get(pk=account_id)
    if account.claimed_by_id == user.pk:
        return ClaimResult(account=account, amount_cents=0, shares=0, donors=0, already=True)
    if account.claimed_by_id is not None:
        raise TwitterError("already_claimed")
    if PlatformAccount.objects.filter(provider=account.provider, claimed_by=user).exists():
        raise _user_has_account(account)
    now = timezone.now()
    account.claimed_by, account.claimed_at = user, now
    account.notices_opted_out = account.flattrs_opted_out = False
    account.opted_out_at = None
    try:
        with transaction.atomic():
            account.save(
                update_fields=[
                    "claimed_by",
                    "claimed_at",
                    "notices_opted_out",
                    "flattrs_opted_out",
                    "opted_out_at",
                ]
            )
    except IntegrityError as error:
        raise _user_has_account(account) from error
    earnings = user_account(user, LedgerAccount.Kind.EARNINGS)
    account_thing_claim(thing_id=account.thing_id, owner=user, payee=earnings)
    settled = _pool_to_owner(account, user)
    cache.delete(handle_cache_key(account.handle))

    def notify() -> None:
        from flattr.api.webhooks import pool_claimed_send
        from twitter_claims.tasks import claim_donors_notify

        claim_donors_notify.delay(account.pk)
        pool_claimed_send(
            user=user, handle=account.handle, amount_cents=amount, account_id=account.pk
        )

    amount = settled.amount_cents
    # Robust: the claim has committed; a queue outage loses only the donors' notice mail (logged),
    # never turns the claim into an error page.
    transaction.on_commit(notify, robust=True)
    return ClaimResult(
        account=account,
        amount_cents=settled.amount_cents,
        shares=settled.shares,
        donors=settled.donors,
    )


def pools_sweep_claimed() -> int:
    """Move money that reached the pool of an already claimed account to its owner.

    A payday that read a thing's payee just before a claim committed credits the pool; this
    finishes the claim's job (the next `claim:<id>:<n>` transfer). Return how many pools moved.
    """
    moved = 0
    for account_id in PlatformAccount.objects.filter(
        claimed_by__isnull=False, pool__balance__gt=0
    ).values_list("pk", flat=True):
        with transaction.atomic():
            account = (
                PlatformAccount.objects.select_for_update(of=("self",))
                .select_related("claimed_by")
                .get(pk=account_id)
            )
            moved += _pool_to_owner(account, account.claimed_by).amount_cents > 0
    return moved


def account_create_with_twitter(
    *, x_user: XUser, username: str, email: str, language: str = ""
) -> tuple[object, ClaimResult]:
    """Create a Flattr user for someone who proved they own `x_user`, and claim their account.

    The user has no password (they sign in with Twitter, or set one through "forgot password");
    the email address is unverified until they follow the link allauth sends. All or nothing:
    if the account was claimed by someone else meanwhile, no user is created.
    """
    user_model = get_user_model()
    with transaction.atomic():
        user = user_model(username=username, email=email)
        if language in dict(settings.LANGUAGES):
            user.preferred_language = language
        user.set_unusable_password()
        user.save()
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
        account = account_for_x_user(x_user=x_user)
        result = pool_claim(account_id=account.pk, user=user)
    return user, result


@transaction.atomic
def account_opt_out(*, x_user: XUser, choice: str) -> PlatformAccount:
    """Record the owner's choice, proven by an OAuth sign-in: `notices` (no more notices),
    `all` (no notices and no new flattrs) or `none` (undo). Held money stays claimable and
    still returns to its donors when it expires."""
    if choice not in OPT_OUT_CHOICES:
        raise TwitterError("invalid_parameters")
    account = account_for_x_user(x_user=x_user)
    account = PlatformAccount.objects.select_for_update().get(pk=account.pk)
    account.notices_opted_out = choice in ("notices", "all")
    account.flattrs_opted_out = choice == "all"
    account.opted_out_at = timezone.now() if choice != "none" else None
    account.save(update_fields=["notices_opted_out", "flattrs_opted_out", "opted_out_at"])
    # The account's thing is closed while its owner refuses flattrs, so every way of flattring
    # it (the button's confirmation window by thing id too) is refused with `thing_hidden`.
    account_thing_closed_set(thing_id=account.thing_id, closed=account.flattrs_opted_out)
    cache.delete(handle_cache_key(account.handle))
    return account


@transaction.atomic
def account_disconnect(*, account_id: int, user) -> PlatformAccount:
    """Unlink a claimed account from its owner. Money already claimed stays in their earnings
    (nothing moves); from now on the account's shares wait in its pool again, until someone
    proves they own it. Lock order as for a claim: the account row, then its thing."""
    account = PlatformAccount.objects.select_for_update().get(pk=account_id)
    if account.claimed_by_id != user.pk:
        raise TwitterError("not_found")
    account.claimed_by, account.claimed_at = None, None
    account.save(update_fields=["claimed_by", "claimed_at"])
    account_thing_release(thing_id=account.thing_id, payee=account.pool)
    cache.delete(handle_cache_key(account.handle))
    return account
