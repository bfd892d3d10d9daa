"""Every change to Twitter/X accounts: resolving handles, flattring, claims, opt-outs, owner
notices, expiry of held shares and flattrs kept against unresolved handles.

Network calls to X (through `x_gateway`) never happen inside a database transaction. Money moves
only through `payments.services.transfer_post` or, for expiry, one set-based statement that keeps
the same invariants (twitter_claims/sql/).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext

from flattr.models import Flattr, Thing
from payments.models import LedgerAccount, Share, Transfer
from payments.services import pool_account_create, transfer_post, user_account
from payments.templatetags.money import format_cents as money
from twitter_claims import selectors, x_gateway
from twitter_claims.errors import TwitterError
from twitter_claims.models import (
    HandleHistory,
    OAuthAttempt,
    OwnerNotice,
    PendingHandle,
    PlatformAccount,
)
from twitter_claims.x_gateway import XError, XUser

logger = logging.getLogger(__name__)

PROVIDER = PlatformAccount.Provider.TWITTER
SQL_DIR = Path(__file__).resolve().parent / "sql"
OAUTH_SESSION_KEY = "twitter_oauth"
IDENTITY_SESSION_KEY = "twitter_identity"
OAUTH_PURPOSES = ("claim", "connect", "login", "optout")
OPT_OUT_CHOICES = ("notices", "all", "none")
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
_PROFILE_URL = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/@?(?P<handle>[A-Za-z0-9_]{1,15})/?"
    r"(?:[?#].*)?$",
    re.IGNORECASE,
)
EXPIRY_EMAIL_BATCH = 500


def _sql(name: str) -> str:
    return (SQL_DIR / name).read_text()


# ---------------------------------------------------------------------------------------------
# Handles and accounts


def handle_normalize(raw: str) -> str:
    """Return the handle in `raw` ("alice", "@alice" or a profile URL), or raise invalid_handle."""
    text = (raw or "").strip() if isinstance(raw, str) else ""
    match = _PROFILE_URL.match(text)
    if match:
        text = match.group("handle")
    text = text.removeprefix("@")
    if not x_gateway.HANDLE_RE.match(text) or text.lower() in RESERVED_PATHS:
        raise TwitterError("invalid_handle")
    return text


def _account_create(x_user: XUser, now: dt.datetime) -> PlatformAccount:
    pool = pool_account_create(label=f"Held for @{x_user.username} (X id {x_user.id})")
    thing = Thing.objects.create(
        owner=None,
        payee=pool,
        url=f"https://x.com/i/user/{x_user.id}",
        title=f"@{x_user.username}",
        description=x_user.name,
        category=Thing.Category.PEOPLE,
    )
    return PlatformAccount.objects.create(
        provider=PROVIDER,
        user_id=x_user.id,
        handle=x_user.username,
        name=x_user.name,
        handle_checked_at=now,
        pool=pool,
        thing=thing,
    )


def _handle_record(account: PlatformAccount, x_user: XUser, now: dt.datetime) -> None:
    """Store what X just told us about the account: its current handle and name, and history."""
    if account.handle != x_user.username or account.name != x_user.name:
        account.handle, account.name = x_user.username, x_user.name
        Thing.objects.filter(pk=account.thing_id).update(
            title=f"@{x_user.username}", description=x_user.name
        )
    account.handle_checked_at = now
    account.save(update_fields=["handle", "name", "handle_checked_at"])
    seen = HandleHistory.objects.filter(account=account, handle__iexact=x_user.username)
    if not seen.update(handle=x_user.username, last_seen_at=now):
        HandleHistory.objects.create(account=account, handle=x_user.username, last_seen_at=now)


def account_for_x_user(*, x_user: XUser) -> PlatformAccount:
    """Return the platform account for this X user id, creating it (thing and pool) once.

    Keyed by the numeric id: a renamed account keeps its account, pool and thing, and a handle
    taken over by someone else never reaches the old account's pool.
    """
    now = timezone.now()
    with transaction.atomic():
        account = (
            PlatformAccount.objects.select_for_update()
            .filter(provider=PROVIDER, user_id=x_user.id)
            .first()
        )
        if account is None:
            try:
                with transaction.atomic():
                    account = _account_create(x_user, now)
            except IntegrityError:  # created by a concurrent request: use that one
                account = PlatformAccount.objects.select_for_update().get(
                    provider=PROVIDER, user_id=x_user.id
                )
        _handle_record(account, x_user, now)
    return account


def _handle_cache_key(handle: str) -> str:
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
    cached_id = cache.get(_handle_cache_key(handle))
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
        cache.set(_handle_cache_key(handle), x_user.id, settings.TWITTER_HANDLE_CACHE_SECONDS)
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
    match = _PROFILE_URL.match((url or "").strip()) if isinstance(url, str) else None
    if not match or match.group("handle").lower() in RESERVED_PATHS:
        return None
    return thing_for_handle(match.group("handle"))


def pending_handle_thing(handle: str) -> Thing:
    """Return the thing of the open pending handle for `handle`, creating it (and its pool)."""
    existing = PendingHandle.objects.filter(state=PendingHandle.State.OPEN, handle__iexact=handle)
    found = existing.select_related("thing").first()
    if found:
        return found.thing
    try:
        with transaction.atomic():
            pool = pool_account_create(label=f"Held for @{handle} (not yet resolved)")
            thing = Thing.objects.create(
                owner=None,
                payee=pool,
                url=f"https://x.com/{handle}",
                title=f"@{handle}",
                category=Thing.Category.PEOPLE,
            )
            PendingHandle.objects.create(handle=handle, thing=thing, pool=pool)
            return thing
    except IntegrityError:
        return existing.select_related("thing").get().thing


def twitter_flattr_add(*, donor, handle: str, source: str = "site") -> Flattr:
    """Flattr the X account that holds `handle`: the same rules as any thing (once a month,
    pending until payday, removable), through `flattr.services.flattr_add`."""
    from flattr.services import flattr_add

    thing = thing_for_handle(handle)
    return flattr_add(donor=donor, thing=thing, source=source)


# ---------------------------------------------------------------------------------------------
# Claims


@dataclass(frozen=True)
class ClaimResult:
    account: PlatformAccount
    amount_cents: int  # moved from the pool to the owner's earnings by this claim
    shares: int  # held shares that became claimed
    donors: int  # distinct donors of those shares
    already: bool = False  # the user had claimed this account before: nothing changed


def _pool_to_owner(account: PlatformAccount, user, now: dt.datetime) -> tuple[int, int, int]:
    """Move the whole pool to the owner's earnings in one transfer; mark held shares claimed.

    Both ledger accounts are locked in id order (as transfer_post does), and the pool balance
    and its held shares are read only under that lock, so a concurrent expiry either ran before
    (and the claim gets what is left) or waits.
    """
    earnings = user_account(user, LedgerAccount.Kind.EARNINGS)
    ids = sorted({account.pool_id, earnings.pk})
    list(LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    pool = LedgerAccount.objects.get(pk=account.pool_id)
    held = Share.objects.filter(payee_id=pool.pk, state=Share.State.HELD)
    stats = held.aggregate(
        total=Coalesce(Sum("amount"), 0), n=Count("id"), donors=Count("donor_id", distinct=True)
    )
    held.update(state=Share.State.CLAIMED, settled_at=now)
    if stats["total"] != pool.balance:
        logger.error(
            "Pool %s of @%s holds %s cents but its held shares sum to %s",
            pool.pk,
            account.handle,
            pool.balance,
            stats["total"],
        )
    amount = pool.balance
    if amount > 0:
        n = Transfer.objects.filter(kind=Transfer.Kind.CLAIM, debit_id=pool.pk).count() + 1
        transfer_post(
            key=f"claim:{account.pk}:{n}",
            kind=Transfer.Kind.CLAIM,
            debit=pool,
            credit=earnings,
            amount_cents=amount,
            memo=f"@{account.handle}",
        )
    return amount, stats["n"], stats["donors"]


@transaction.atomic
def pool_claim(*, account_id: int, user) -> ClaimResult:
    """Bind the platform account to `user` and give them everything it holds, exactly once.

    One transaction: lock the account row; refuse if someone else claimed it (and the database's
    unique constraints refuse a second X account per user even under a race); re-point its thing
    to the user (owner, and payee = their earnings, so later shares go straight to them); move
    the whole pool in one CLAIM transfer (key `claim:<account id>:<n>`); mark held shares
    claimed. Donors are emailed after commit.
    """
    account = PlatformAccount.objects.select_for_update().get(pk=account_id)
    if account.claimed_by_id == user.pk:
        return ClaimResult(account=account, amount_cents=0, shares=0, donors=0, already=True)
    if account.claimed_by_id is not None:
        raise TwitterError("already_claimed")
    if PlatformAccount.objects.filter(provider=account.provider, claimed_by=user).exists():
        raise TwitterError("user_has_account")
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
        raise TwitterError("user_has_account") from error
    earnings = user_account(user, LedgerAccount.Kind.EARNINGS)
    Thing.objects.filter(pk=account.thing_id).update(owner=user, payee=earnings, hidden=False)
    amount, shares, donors = _pool_to_owner(account, user, now)
    cache.delete(_handle_cache_key(account.handle))

    def notify() -> None:
        from flattr.api.webhooks import pool_claimed_send
        from twitter_claims.tasks import claim_donors_notify

        claim_donors_notify.delay(account.pk)
        pool_claimed_send(
            user=user, handle=account.handle, amount_cents=amount, account_id=account.pk
        )

    transaction.on_commit(notify)
    return ClaimResult(account=account, amount_cents=amount, shares=shares, donors=donors)


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
            amount, _shares, _donors = _pool_to_owner(account, account.claimed_by, timezone.now())
            moved += amount > 0
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
    # The account's thing is hidden while its owner refuses flattrs, so every way of flattring
    # it (the button's confirmation window by thing id too) is refused with `thing_hidden`.
    Thing.objects.filter(pk=account.thing_id).update(hidden=account.flattrs_opted_out)
    cache.delete(_handle_cache_key(account.handle))
    return account


# ---------------------------------------------------------------------------------------------
# OAuth round trips (state single use, PKCE verifier in the session)


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def oauth_begin(*, session, purpose: str, extra: dict | None = None) -> str:
    """Start a sign-in with X and return the URL to send the browser to.

    The random `state` and the PKCE code verifier stay server-side in the session; a hash of the
    state is recorded so it can be spent once only.
    """
    if purpose not in OAUTH_PURPOSES:
        raise TwitterError("invalid_parameters")
    redirect_uri = settings.SITE_URL + reverse("twitter_claims:callback")
    try:
        start = x_gateway.oauth_start(redirect_uri=redirect_uri)
    except XError as error:
        raise TwitterError("x_unavailable") from error
    OAuthAttempt.objects.create(state_hash=_state_hash(start.state), purpose=purpose)
    session[OAUTH_SESSION_KEY] = {
        "state": start.state,
        "verifier": start.code_verifier,
        "purpose": purpose,
        "redirect_uri": redirect_uri,
        "started": time.time(),
        **(extra or {}),
    }
    return start.authorize_url


def oauth_complete(*, session, params) -> tuple[XUser, dict]:
    """Finish a sign-in with X: check and spend the state, exchange the code with the PKCE
    verifier, and return (who signed in, the flow's data). Raise TwitterError otherwise; nothing
    has changed then.

    The flow is removed from the session first, so a replay from the same browser finds nothing;
    the database marks the state used, so a replay from anywhere else fails too.
    """
    flow = session.pop(OAUTH_SESSION_KEY, None)
    state, code, error = params.get("state", ""), params.get("code", ""), params.get("error", "")
    if not isinstance(flow, dict) or not state or not flow.get("state"):
        raise TwitterError("oauth_denied" if error else "oauth_state")
    if not constant_time_compare(state, flow["state"]):
        raise TwitterError("oauth_state")
    max_age = settings.TWITTER_OAUTH_MAX_AGE_SECONDS
    now = timezone.now()
    spent = OAuthAttempt.objects.filter(
        state_hash=_state_hash(state),
        used_at__isnull=True,
        created_at__gte=now - dt.timedelta(seconds=max_age),
    ).update(used_at=now)
    if spent != 1 or time.time() - float(flow.get("started", 0)) > max_age:
        raise TwitterError("oauth_state")
    if error:
        raise TwitterError("oauth_denied")
    if not code or len(code) > 512:
        raise TwitterError("oauth_failed")
    try:
        x_user = x_gateway.oauth_finish(
            redirect_uri=flow["redirect_uri"], code=code, code_verifier=flow["verifier"]
        )
    except XError as failure:
        logger.info("X sign-in failed: %s", failure)
        if failure.code in ("unavailable", "rate_limited", "not_configured"):
            raise TwitterError("x_unavailable") from failure
        raise TwitterError("oauth_failed") from failure
    return x_user, flow


def identity_remember(*, session, x_user: XUser) -> None:
    """Keep a just-proven X identity in the session for the short account step."""
    session[IDENTITY_SESSION_KEY] = {
        "id": x_user.id,
        "username": x_user.username,
        "name": x_user.name,
        "at": time.time(),
    }


def identity_recall(*, session) -> XUser | None:
    """Return the X identity proven in this session within TWITTER_OAUTH_MAX_AGE_SECONDS."""
    data = session.get(IDENTITY_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    if time.time() - float(data.get("at", 0)) > settings.TWITTER_OAUTH_MAX_AGE_SECONDS:
        session.pop(IDENTITY_SESSION_KEY, None)
        return None
    return XUser(id=data["id"], username=data["username"], name=data.get("name", ""))


def identity_forget(*, session) -> None:
    session.pop(IDENTITY_SESSION_KEY, None)


def oauth_attempts_prune(*, older_than_hours: int = 24) -> int:
    """Delete OAuth attempts older than a day; their states expired long ago."""
    cutoff = timezone.now() - dt.timedelta(hours=older_than_hours)
    deleted, _ = OAuthAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# ---------------------------------------------------------------------------------------------
# Owner notices


def notice_text(*, account: PlatformAccount, amount_cents: int, donors: int) -> str:
    """Return the tweet that tells @handle money waits for them (at most 280 characters)."""
    claim_url = settings.SITE_URL + reverse(
        "twitter_claims:account", kwargs={"handle": account.handle}
    )
    opt_out_url = settings.SITE_URL + reverse("twitter_claims:opt_out")
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "handle": account.handle,
            "amount": money(amount_cents),
            "donors": donors,
            "claim_url": claim_url,
            "opt_out_url": opt_out_url,
        }
        text = (
            gettext(
                "@%(handle)s: %(donors)d people on Flattr sent you %(amount)s. It is held for you; "
                "sign in with Twitter to claim it at %(claim_url)s (no more messages: "
                "%(opt_out_url)s)"
            )
            % values
        )
        if len(text) > 280:
            text = (
                gettext("@%(handle)s: %(amount)s from %(donors)d people on Flattr waits for you: ")
                % values
                + claim_url
            )
    return text[:280]


def notice_send(*, account_id: int) -> OwnerNotice | None:
    """Post one owner notice for this account if one is due, and record it.

    The notice row is written and committed (state `sending`) under the account's row lock
    before X is called, so concurrent runs never post twice; the post happens outside any
    transaction; the row then becomes `sent` or `failed` (failed ones do not count against
    the cooldown, so the next run retries).
    """
    with transaction.atomic():
        account = (
            PlatformAccount.objects.select_for_update(of=("self",))
            .select_related("pool")
            .get(pk=account_id)
        )
        due = selectors.notices_due().filter(pk=account_id).first()
        if due is None:
            return None
        text = notice_text(account=account, amount_cents=due.pool.balance, donors=due.donors)
        notice = OwnerNotice.objects.create(
            account=account,
            handle=account.handle,
            text=text,
            pool_cents=due.pool.balance,
            donors=due.donors,
        )
    try:
        tweet_id = x_gateway.tweet_post(text)
    except XError as error:
        logger.warning("Owner notice for @%s failed: %s", account.handle, error)
        OwnerNotice.objects.filter(pk=notice.pk).update(
            state=OwnerNotice.State.FAILED, error=str(error)[:300]
        )
        notice.refresh_from_db()
        return notice
    OwnerNotice.objects.filter(pk=notice.pk).update(
        state=OwnerNotice.State.SENT, tweet_id=tweet_id[:32], sent_at=timezone.now()
    )
    notice.refresh_from_db()
    return notice


def notices_send() -> int:
    """Post every due owner notice; return how many were posted."""
    sent = 0
    for account_id in selectors.notices_due().values_list("pk", flat=True):
        notice = notice_send(account_id=account_id)
        sent += notice is not None and notice.state == OwnerNotice.State.SENT
    return sent


def notices_after_payday(payday) -> None:
    """Call after a payday posted its shares: finish claims that raced it, then queue the owner
    notices for pools that crossed the threshold (after commit, in a Celery task)."""
    from twitter_claims.tasks import notices_send as notices_task
    from twitter_claims.tasks import pools_sweep

    transaction.on_commit(pools_sweep.delay)
    transaction.on_commit(notices_task.delay)


# ---------------------------------------------------------------------------------------------
# Expiry: held shares older than UNCLAIMED_HOLD_DAYS go back to their donors


@dataclass(frozen=True)
class ExpiryResult:
    shares: int
    donors: int
    amount_cents: int


@transaction.atomic
def pools_expire(*, now: dt.datetime | None = None) -> ExpiryResult:
    """Return every held share whose payday started more than UNCLAIMED_HOLD_DAYS ago to its
    donor's funds: each donor gets exactly the shares they gave, one transfer per share (key
    `expiry:<share id>`), and the shares become `returned`. Set-based SQL in twitter_claims/sql/.

    Idempotent (a rerun finds no held share that is due) and safe against a concurrent claim:
    the pools and funds involved are locked in id order first, and the shares are read after.
    Donors are emailed after commit, one email each.
    """
    now = now or timezone.now()
    params = {"cutoff": now - dt.timedelta(days=settings.UNCLAIMED_HOLD_DAYS), "now": now}
    with connection.cursor() as cursor:
        cursor.execute(_sql("expiry_funds_open.sql"), params)
        cursor.execute(_sql("expiry_lock.sql"), params)
        cursor.execute(_sql("pools_expire.sql"), params)
        rows = cursor.fetchall()
    share_ids = [row[0] for row in rows]
    if share_ids:
        _returned_notify_on_commit(share_ids, reason="expired")
    return ExpiryResult(
        shares=len(rows),
        donors=len({row[1] for row in rows}),
        amount_cents=sum(row[3] for row in rows),
    )


def _returned_notify_on_commit(share_ids: list[int], *, reason: str) -> None:
    from twitter_claims.tasks import returned_shares_notify

    for start in range(0, len(share_ids), EXPIRY_EMAIL_BATCH):
        batch = share_ids[start : start + EXPIRY_EMAIL_BATCH]
        transaction.on_commit(lambda b=batch: returned_shares_notify.delay(b, reason))


def _share_return(share: Share, now: dt.datetime) -> None:
    """Give one held share back to its donor's funds (the caller holds the locks)."""
    funds = user_account(share.donor, LedgerAccount.Kind.FUNDS)
    if share.amount > 0:
        transfer_post(
            key=f"expiry:{share.pk}",
            kind=Transfer.Kind.EXPIRY,
            debit=LedgerAccount.objects.get(pk=share.payee_id),
            credit=funds,
            amount_cents=share.amount,
            month=share.month,
        )
    Share.objects.filter(pk=share.pk).update(state=Share.State.RETURNED, settled_at=now)


# ---------------------------------------------------------------------------------------------
# Flattrs kept against handles X could not resolve


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
        try:
            x_user = x_gateway.user_by_username(pending.handle)
        except XError as error:
            PendingHandle.objects.filter(pk=pending.pk).update(
                attempts=pending.attempts + 1, last_error=str(error)[:200]
            )
            _pending_settle(pending_id, account=None, now=now, release_all=False)
            return "waiting"
        account = account_for_x_user(x_user=x_user) if x_user is not None else None
    else:
        account = pending.account
    _pending_settle(pending_id, account=account, now=now, release_all=account is None)
    return "resolved" if account is not None else "failed"


@transaction.atomic
def _pending_settle(
    pending_id: int, *, account: PlatformAccount | None, now: dt.datetime, release_all: bool
) -> None:
    """Bind (to `account`) or release the live flattrs of a pending handle.

    With `account` None and `release_all` False (X still silent), only flattrs too old to bind
    are released. Locks: the pending handle row, then every ledger account involved in id order.
    """
    pending = PendingHandle.objects.select_for_update().get(pk=pending_id)
    window_start = now - dt.timedelta(hours=settings.TWITTER_HANDLE_BIND_HOURS)
    flattrs = list(
        Flattr.objects.filter(thing_id=pending.thing_id)
        .filter(Q(share__isnull=True) | Q(share__state=Share.State.HELD))
        .select_related("donor", "share")
        .order_by("created_at", "pk")
    )
    target = None
    if account is not None:
        account = PlatformAccount.objects.select_related("thing").get(pk=account.pk)
        target = None if account.flattrs_opted_out else account.thing
    ledger_ids = {pending.pool_id}
    if target is not None:
        ledger_ids.add(target.payee_id)
    for flattr in flattrs:
        if hasattr(flattr, "share"):
            ledger_ids.add(user_account(flattr.donor, LedgerAccount.Kind.FUNDS).pk)
    list(
        LedgerAccount.objects.select_for_update()
        .filter(pk__in=ledger_ids)
        .order_by("pk")
        .values("pk")
    )
    returned: list[int] = []
    cancelled: list[tuple[int, str]] = []
    for flattr in flattrs:
        share = getattr(flattr, "share", None)
        in_window = flattr.created_at >= window_start
        if target is None and not release_all and in_window:
            continue  # X is silent; this flattr may still bind later
        duplicate = (
            target is not None
            and Flattr.objects.filter(donor=flattr.donor, thing=target, month=flattr.month)
            .exclude(pk=flattr.pk)
            .exists()
        )
        if target is not None and in_window and not duplicate:
            _flattr_bind(flattr, share, target)
        elif share is not None:
            _share_return(share, now)
            returned.append(share.pk)
        else:
            cancelled.append((flattr.donor_id, pending.handle))
            Flattr.objects.filter(pk=flattr.pk).delete()
    if account is not None or release_all:
        pending.state = (
            PendingHandle.State.RESOLVED if account is not None else PendingHandle.State.FAILED
        )
        pending.account = account
        pending.resolved_at = pending.resolved_at or now
        pending.save(update_fields=["state", "account", "resolved_at"])
        Thing.objects.filter(pk=pending.thing_id).update(hidden=True)
    if returned:
        _returned_notify_on_commit(returned, reason="unresolved")
    if cancelled:
        from twitter_claims.tasks import cancelled_flattrs_notify

        transaction.on_commit(lambda: cancelled_flattrs_notify.delay(cancelled))


def _flattr_bind(flattr: Flattr, share: Share | None, target: Thing) -> None:
    """Re-point a flattr (and its held share, with its money) at the resolved account's thing."""
    Flattr.objects.filter(pk=flattr.pk).update(thing=target)
    if share is None:
        return
    payee = LedgerAccount.objects.get(pk=target.payee_id)
    if share.amount > 0:
        transfer_post(
            key=f"bind:{share.pk}",
            kind=Transfer.Kind.SHARE,
            debit=LedgerAccount.objects.get(pk=share.payee_id),
            credit=payee,
            amount_cents=share.amount,
            month=share.month,
            memo=target.title,
        )
    held = payee.kind == LedgerAccount.Kind.POOL
    Share.objects.filter(pk=share.pk).update(
        thing=target,
        payee=payee,
        state=Share.State.HELD if held else Share.State.PAID,
    )
