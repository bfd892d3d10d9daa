"""Reads of things and flattrs.

Counts shown on buttons, badges and thing pages come from Redis (the default cache): a hit costs
no query, a miss exactly one. Writers invalidate with `count_cache_invalidate` after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from accounts.moderation import user_blocked
from flattr.models import Flattr, Subscription, Thing
from payments.months import month_start

COUNT_KEY = "flattr:count:{thing_id}"
BUTTON_KEY = "flattr:button:{digest}"
THING_KEY = "flattr:thing:{thing_id}"
# A count is exact after every flattr and removal (the writer deletes the key after commit);
# the timeout only bounds how long a value computed in a race with a commit can linger.
COUNT_CACHE_SECONDS = 3600
# "No such user" is cached briefly, so a user who signs up sees their button soon after.
MISSING_CACHE_SECONDS = 60
EXPLORE_PAGE_SIZE = 20
BIGINT_MAX = 2**63 - 1  # ids in URLs beyond this are simply not found
SUPPORTERS_SHOWN = 30
UID_MAX = 150  # usernames are at most 150 characters; longer uids name nobody


class LocalCache:
    """A small per-process cache with a short time-to-live, in front of Redis.

    Hot buttons are requested thousands of times a second; answering them from process memory
    saves the Redis round trip. Writes in this process clear it at once (count_cache_invalidate);
    other processes see a change within `ttl` seconds, which is well inside the minute that
    browsers and shared caches keep a button anyway (BUTTON_CACHE_SECONDS).
    """

    def __init__(self, *, ttl: float, max_entries: int) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict = {}

    def get(self, key):
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def set(self, key, value) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # crude but bounded; a full table is rebuilt in one TTL
        self._entries[key] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        self._entries.clear()


# Rendered button responses by (query string, language); see flattr.button_views.button_view.
BUTTON_LOCAL_CACHE = LocalCache(ttl=1.0, max_entries=10_000)


def thing_flattr_count(thing_id: int) -> int:
    """Return how many flattrs the thing has ever had; cached, one query on a miss."""
    key = COUNT_KEY.format(thing_id=thing_id)
    count = cache.get(key)
    if count is None:
        count = Flattr.objects.filter(thing_id=thing_id).count()
        cache.set(key, count, COUNT_CACHE_SECONDS)
    return count


def thing_badge_data(thing_id: int) -> tuple[bool, int]:
    """Return (the thing exists and is not banned, its flattr count); cached, one query on a
    miss. For badges and counts addressed by thing id."""
    if not 0 < thing_id <= BIGINT_MAX:
        return (False, 0)
    key = THING_KEY.format(thing_id=thing_id)
    cached = cache.get(key)
    if cached is not None:
        return tuple(cached)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT t.banned, (SELECT COUNT(*) FROM flattr_flattr f WHERE f.thing_id = t.id) "
            "FROM flattr_thing t WHERE t.id = %s",
            [thing_id],
        )
        row = cursor.fetchone()
    data = (False, 0) if row is None else (bool(row[0]), int(row[1]))
    cache.set(key, data, COUNT_CACHE_SECONDS if row else MISSING_CACHE_SECONDS)
    return data


def button_key(*, uid: str, url: str) -> str:
    """Return the cache key of the button data for (owner username, normalized URL)."""
    digest = hashlib.sha256(f"{uid.lower()}\n{url}".encode()).hexdigest()[:40]
    return BUTTON_KEY.format(digest=digest)


@dataclass(frozen=True)
class ButtonData:
    """What a button shows. `user_found` False: no such user; `thing_id` None: not yet created
    (the button then creates the thing on its first flattr, like Flattr's auto-submit).
    `username` is the owner the uid resolved to (it differs for an old Flattr id)."""

    user_found: bool
    thing_id: int | None = None
    title: str = ""
    count: int = 0
    flattrable: bool = True
    username: str = ""

    def as_cache(self) -> tuple:
        return (
            self.user_found,
            self.thing_id,
            self.title,
            self.count,
            self.flattrable,
            self.username,
        )


# The owner a uid names: a username (any case) first, else an old Flattr id an admin mapped
# (flattr.models.LegacyFlattrId), in the same single query as the thing and its count.
_BUTTON_SQL = """
    WITH owner AS (
        SELECT u.id, u.username FROM accounts_user u
        WHERE u.is_active AND (
            UPPER(u.username) = UPPER(%(uid)s)
            OR u.id = (SELECT l.user_id FROM flattr_legacyflattrid l
                       WHERE UPPER(l.value) = UPPER(%(uid)s) LIMIT 1))
        ORDER BY UPPER(u.username) = UPPER(%(uid)s) DESC, u.id LIMIT 1
    )
    SELECT o.id, o.username, t.id, t.title, NOT (t.closed OR t.banned),
           (SELECT COUNT(*) FROM flattr_flattr f WHERE f.thing_id = t.id)
    FROM owner o
    LEFT JOIN flattr_thing t ON t.owner_id = o.id AND t.url = %(url)s
"""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A cached pointer from an old id's key to the owner's own key, which writes invalidate.
_ALIAS = "alias"


def button_data(*, uid: str, url: str) -> ButtonData:
    """Return the button data for the thing `url` (normalized) owned by user `uid`.

    Cached in Redis under (uid, url) with the count inside, so a button costs one cache read
    and no query; a miss costs one query. Every write to the thing or its flattrs deletes the key
    under the owner's username; an old Flattr id's key only points there (for a minute, so a
    changed mapping shows soon), costing one more cache read.
    """
    if _CONTROL.search(uid):  # PostgreSQL refuses NUL; no username holds control characters
        return ButtonData(user_found=False)
    key = button_key(uid=uid, url=url)
    cached = cache.get(key)
    if cached is not None and cached[0] == _ALIAS:
        key = button_key(uid=cached[1], url=url)
        cached = cache.get(key)
    if cached is not None:
        return ButtonData(*cached)
    with connection.cursor() as cursor:
        cursor.execute(_BUTTON_SQL, {"url": url, "uid": uid})
        row = cursor.fetchone()
    if row is None:
        data = ButtonData(user_found=False)
        cache.set(key, data.as_cache(), MISSING_CACHE_SECONDS)
        return data
    _user_id, username, thing_id, title, flattrable, count = row
    if username.lower() != uid.lower():
        cache.set(button_key(uid=uid, url=url), (_ALIAS, username), MISSING_CACHE_SECONDS)
        key = button_key(uid=username, url=url)
    if thing_id is None:
        data = ButtonData(user_found=True, username=username)
    else:
        data = ButtonData(True, thing_id, title, count, flattrable, username)
    cache.set(key, data.as_cache(), COUNT_CACHE_SECONDS)
    return data


def user_for_uid(uid: str):
    """Return the active user a button's or link's uid names, or None.

    A username (any case) first; else an old Flattr id (numeric uid, 2016 fid) that an admin
    mapped to a user (flattr.models.LegacyFlattrId).
    """
    from accounts.models import User

    uid = (uid or "").strip()
    if not uid or len(uid) > UID_MAX or _CONTROL.search(uid):
        return None
    user = User.objects.filter(username__iexact=uid, is_active=True).order_by("id").first()
    if user is None:
        user = (
            User.objects.filter(legacy_flattr_ids__value__iexact=uid, is_active=True)
            .order_by("id")
            .first()
        )
    return user


def count_cache_invalidate(*, thing_ids: list[int], button_keys: list[str] = ()) -> None:
    """Forget cached counts and button data (call after commit)."""
    keys = [COUNT_KEY.format(thing_id=thing_id) for thing_id in thing_ids]
    keys += [THING_KEY.format(thing_id=thing_id) for thing_id in thing_ids]
    cache.delete_many([*keys, *button_keys])
    BUTTON_LOCAL_CACHE.clear()


def thing_get_or_404(thing_id: int, *, viewer=None) -> Thing:
    """Return the thing, or raise Http404. Hidden things are shown to their owner only;
    banned things to nobody but staff."""
    if not 0 < thing_id <= BIGINT_MAX:
        raise Http404("No such thing.")
    try:
        thing = Thing.objects.select_related("owner").get(pk=thing_id)
    except Thing.DoesNotExist:
        raise Http404("No such thing.") from None
    if not thing_visible_to(thing, viewer):
        raise Http404("No such thing.")
    return thing


def thing_visible_to(thing: Thing, viewer) -> bool:
    """Return whether `viewer` (a user or None/anonymous) may see the thing's page.

    A hidden thing is only unlisted (Flattr's meaning): its page is there for whoever has the
    link. A closed one (no longer accepting flattrs) is shown to its owner only.
    """
    is_staff = bool(viewer and getattr(viewer, "is_staff", False))
    if thing.banned:
        return is_staff
    if thing.closed:
        is_owner = bool(viewer and viewer.is_authenticated and thing.owner_id == viewer.pk)
        return is_owner or is_staff
    return True


def thing_for_owner_url(*, owner, url: str) -> Thing | None:
    """Return the owner's thing with this (normalized) URL, if any."""
    return Thing.objects.filter(owner=owner, url=url).first()


def things_public() -> QuerySet[Thing]:
    """Return every thing that may be listed: neither hidden (unlisted), closed nor banned."""
    return Thing.objects.filter(hidden=False, closed=False, banned=False)


def things_search(
    *, query: str = "", category: str = "", sort: str = "popular", page: int | str = 1
) -> Page:
    """Return one page of public things matching `query` (title, description, URL or a tag)."""
    things = things_public().select_related("owner").annotate(flattr_count=Count("flattrs"))
    query = query.strip()
    if query:
        things = things.filter(
            Q(title__icontains=query)
            | Q(description__icontains=query)
            | Q(url__icontains=query)
            | Q(tags__contains=[query.lower()])
        )
    if category in Thing.Category.values:
        things = things.filter(category=category)
    if sort == "recent":
        things = things.order_by("-created_at", "-id")
    else:
        things = things.order_by("-flattr_count", "-created_at", "-id")
    return Paginator(things, EXPLORE_PAGE_SIZE).get_page(page)


def things_for_owner(owner) -> QuerySet[Thing]:
    """Return the owner's things, newest first, with their total and this month's counts."""
    return (
        Thing.objects.filter(owner=owner)
        .annotate(
            flattr_count=Count("flattrs"),
            month_count=Count("flattrs", filter=Q(flattrs__month=month_start())),
        )
        .order_by("-created_at", "-id")
    )


def thing_supporters(thing: Thing, *, limit: int = SUPPORTERS_SHOWN) -> tuple[list, int]:
    """Return (supporters who allow being shown, most recent first; how many others gave).

    "Others" counts distinct donors who chose not to be shown or did not fit in `limit`.
    """
    from accounts.models import User

    shown = list(
        User.objects.filter(flattrs__thing=thing, show_as_supporter=True, is_active=True)
        .annotate(last_flattr=Max("flattrs__created_at"))
        .order_by("-last_flattr", "id")[:limit]
    )
    total = Flattr.objects.filter(thing=thing).values("donor_id").distinct().count()
    return shown, max(0, total - len(shown))


def flattr_of_donor_this_month(*, donor, thing: Thing) -> Flattr | None:
    """Return the donor's flattr of this thing for the current month, if any."""
    if not donor.is_authenticated:
        return None
    return Flattr.objects.filter(donor=donor, thing=thing, month=month_start()).first()


def flattrs_for_donor_month(donor, month: dt.date | None = None) -> list[Flattr]:
    """Return the donor's flattrs of a month in payday order (created_at, id)."""
    return list(
        Flattr.objects.filter(donor=donor, month=month or month_start())
        .select_related("thing", "thing__owner", "thing__payee__user", "donor")
        .order_by("created_at", "id")
    )


def flattr_counts_on_payday(flattr: Flattr) -> bool:
    """Return whether payday splits the budget over this flattr.

    The Python twin of flattr's view flattr_live_flattr (migration 0004), which payday reads: a
    flattr counts unless its thing is closed or banned (hidden things are only unlisted and
    count), its thing pays the donor's own account (a claimed account the donor flattred before
    claiming it), or the donor or the recipient is suspended or marked as fraud. Needs `donor`
    and `thing__payee__user` loaded.
    """
    thing = flattr.thing
    recipient = thing.payee.user
    return (
        not thing.closed
        and not thing.banned
        and thing.payee.user_id != flattr.donor_id
        and not user_blocked(flattr.donor)
        and (recipient is None or not user_blocked(recipient))
    )


def subscriptions_for_donor(donor) -> list[Subscription]:
    """Return the donor's running subscriptions (not cancelled, not yet over)."""
    return list(
        Subscription.objects.filter(
            donor=donor, cancelled_at__isnull=True, last_month__gte=month_start()
        )
        .select_related("thing")
        .order_by("last_month", "id")
    )


def subscription_of_donor(*, donor, thing: Thing) -> Subscription | None:
    """Return the donor's running subscription to this thing, if any."""
    if not donor.is_authenticated:
        return None
    return Subscription.objects.filter(
        donor=donor, thing=thing, cancelled_at__isnull=True, last_month__gte=month_start()
    ).first()


@dataclass(frozen=True)
class DashboardFlattr:
    flattr: Flattr
    worth_cents: int
    counts: bool = True  # False: payday leaves it out (see flattr_counts_on_payday)


@dataclass(frozen=True)
class DonorMonth:
    """A donor's month as payday would split it right now."""

    month: dt.date
    budget_cents: int
    spendable_cents: int
    taken_cents: int
    fee_cents: int
    flattrs: list[DashboardFlattr]
    means_problem: str | None

    @property
    def counted(self) -> int:
        """Return how many of the month's flattrs payday splits the budget over."""
        return sum(1 for row in self.flattrs if row.counts)


# The claim's welcome estimates what payday brings one donor at a time (donor_month's own
# arithmetic); past this many donors it shows a lower bound instead of growing without end.
PENDING_ESTIMATE_DONORS_MAX = 50


@dataclass(frozen=True)
class PendingWorth:
    flattrs: int  # this month's flattrs of the thing that payday has not split yet
    cents: int  # what those flattrs bring if payday ran now, after the fee (integer cents)
    complete: bool  # False: more donors than PENDING_ESTIMATE_DONORS_MAX; `cents` is a floor


def thing_pending_worth(thing_id: int) -> PendingWorth:
    """Return what this month's flattrs of a thing would bring if payday ran now.

    Each donor's flattr is worth what their dashboard says (donor_month: the same split payday
    posts), so the estimate changes as donors flattr more things or top up before payday.
    """
    month = month_start()
    donor_ids = list(
        Flattr.objects.filter(thing_id=thing_id, month=month, share__isnull=True)
        .order_by("created_at", "id")
        .values_list("donor_id", flat=True)
    )
    counted = donor_ids[:PENDING_ESTIMATE_DONORS_MAX]
    cents = 0
    for donor in get_user_model().objects.filter(pk__in=counted):
        for row in donor_month(donor).flattrs:
            if row.flattr.thing_id == thing_id:
                cents += row.worth_cents
    return PendingWorth(
        flattrs=len(donor_ids), cents=cents, complete=len(counted) == len(donor_ids)
    )


def donor_month(donor) -> DonorMonth:
    """Return this month's flattrs with what each is worth if payday ran now.

    Uses payments.split.split_budget over min(budget, spendable wallet) and the flattrs payday
    counts (flattr_counts_on_payday), the same arithmetic and the same rows payday posts, so the
    dashboard, the payday preview and the statement agree to the cent. Flattrs payday leaves out
    are listed with a worth of 0; a frozen account (payday takes nothing from it) shows 0 too.
    """
    from payments.selectors import budget_get, means_check, spendable_cents
    from payments.split import split_budget

    month = month_start()
    flattrs = flattrs_for_donor_month(donor, month)
    counted = [flattr for flattr in flattrs if flattr_counts_on_payday(flattr)]
    budget = budget_get(donor).monthly_cents
    means_problem = means_check(donor)
    spendable = 0 if means_problem == "account_frozen" else spendable_cents(donor)
    split = split_budget(
        budget_cents=budget, spendable_cents=spendable, n=len(counted), fee_bps=settings.FEE_BPS
    )
    worth = dict(zip((flattr.pk for flattr in counted), split.shares, strict=True))
    rows = [
        DashboardFlattr(flattr, worth.get(flattr.pk, 0), counts=flattr.pk in worth)
        for flattr in flattrs
    ]
    return DonorMonth(
        month=month,
        budget_cents=budget,
        spendable_cents=spendable,
        taken_cents=split.taken_cents,
        fee_cents=split.fee_cents,
        flattrs=rows,
        means_problem=means_problem,
    )
