"""Reads the API needs beyond flattr.selectors: lists with counts in one query, search with
Flattr's parameters, and the viewer's own marks (flattred, subscribed) for a page of things."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from flattr.models import Flattr, Subscription, Thing
from flattr.selectors import BIGINT_MAX, thing_visible_to, things_public
from payments.months import month_start

SORTS = ("trend", "flattrs", "flattrs_month", "flattrs_week", "flattrs_day", "relevance")
_SORT_DAYS = {"flattrs_month": 30, "flattrs_week": 7, "flattrs_day": 1, "trend": 7}
_TAG_NOT = re.compile(r"!\s*([^|&!]+)")


def things_counted(things: QuerySet[Thing]) -> QuerySet[Thing]:
    """Add `flattr_count` and `donor_count` (distinct donors) and load the owner."""
    return things.select_related("owner").annotate(
        flattr_count=Count("flattrs", distinct=True),
        donor_count=Count("flattrs__donor", distinct=True),
    )


def things_by_ids(ids: list[int], *, viewer) -> list[Thing]:
    """Return the visible things of `ids`, in the order asked."""
    ids = [i for i in ids if 0 < i <= BIGINT_MAX]
    found = {t.pk: t for t in things_counted(Thing.objects.filter(pk__in=ids))}
    return [found[i] for i in ids if i in found and thing_visible_to(found[i], viewer)]


def things_of_owner(owner, *, include_hidden: bool) -> QuerySet[Thing]:
    things = Thing.objects.filter(owner=owner, banned=False)
    if not include_hidden:
        things = things.filter(hidden=False)
    return things_counted(things).order_by("-created_at", "-id")


def thing_for_url(url: str) -> Thing | None:
    """Return the public thing submitted for this (normalized) URL, the oldest if several."""
    return things_public().filter(url=url).order_by("id").first()


def tags_filter(expression: str) -> Q:
    """Return the filter of Flattr's tag syntax: `a | b` (or), `a & b` (and), `!a` (not).

    "game | games ! software" → tagged game or games, not software.
    """
    negatives = [t.strip().lower() for t in _TAG_NOT.findall(expression) if t.strip()]
    positive = _TAG_NOT.sub("", expression)
    condition = Q()
    for group in positive.split("|"):
        terms = [t.strip().lower() for t in group.split("&") if t.strip()]
        if terms:
            condition |= Q(tags__contains=terms)
    if negatives:
        condition &= ~Q(tags__overlap=negatives)
    return condition


@dataclass(frozen=True)
class SearchQuery:
    query: str = ""
    url: str = ""
    tags: str = ""
    languages: tuple = ()
    categories: tuple = ()
    user: str = ""
    sort: str = "relevance"


def things_search(search: SearchQuery) -> QuerySet[Thing]:
    """Return public things matching Flattr's search parameters, sorted."""
    things = things_counted(things_public())
    if search.query:
        things = things.filter(
            Q(title__icontains=search.query)
            | Q(description__icontains=search.query)
            | Q(url__icontains=search.query)
            | Q(tags__contains=[search.query.lower()])
        )
    if search.url:
        things = things.filter(url=search.url)
    if search.tags.strip():
        things = things.filter(tags_filter(search.tags))
    if search.languages:
        things = things.filter(language__in=search.languages)
    if search.categories:
        things = things.filter(category__in=search.categories)
    if search.user:
        things = things.filter(owner__username__iexact=search.user)
    days = _SORT_DAYS.get(search.sort)
    if days:
        since = timezone.now() - dt.timedelta(days=days)
        things = things.annotate(
            recent=Count("flattrs", filter=Q(flattrs__created_at__gte=since), distinct=True)
        ).order_by("-recent", "-flattr_count", "-id")
    elif search.sort in {"flattrs", "relevance"}:
        things = things.order_by("-flattr_count", "-created_at", "-id")
    return things


def viewer_marks(viewer, thing_ids: list[int]) -> tuple[set[int], set[int]]:
    """Return (thing ids the viewer flattred this month, thing ids they subscribe to)."""
    if viewer is None or not thing_ids:
        return set(), set()
    flattred = set(
        Flattr.objects.filter(
            donor=viewer, thing_id__in=thing_ids, month=month_start()
        ).values_list("thing_id", flat=True)
    )
    subscribed = set(
        subscriptions_running(viewer)
        .filter(thing_id__in=thing_ids)
        .values_list("thing_id", flat=True)
    )
    return flattred, subscribed


def subscriptions_running(donor) -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        donor=donor, cancelled_at__isnull=True, last_month__gte=month_start()
    )


def subscription_paused(*, donor, thing: Thing) -> Subscription | None:
    """Return the donor's latest subscription to `thing` that was paused (cancelled) before it
    ran out, if no running one replaced it."""
    if subscriptions_running(donor).filter(thing=thing).exists():
        return None
    return (
        Subscription.objects.filter(
            donor=donor, thing=thing, cancelled_at__isnull=False, last_month__gte=month_start()
        )
        .order_by("-cancelled_at", "-id")
        .first()
    )


def subscriptions_for_api(donor) -> list[Subscription]:
    """Return the donor's running subscriptions and the paused ones not yet run out."""
    rows = (
        Subscription.objects.filter(donor=donor, last_month__gte=month_start())
        .select_related("thing", "thing__owner")
        .order_by("thing_id", "cancelled_at", "-id")
    )
    chosen: dict[int, Subscription] = {}
    for row in rows:  # one per thing: the running one, else the latest paused
        current = chosen.get(row.thing_id)
        if current is None or (current.cancelled_at is not None and row.cancelled_at is None):
            chosen[row.thing_id] = row
    return sorted(chosen.values(), key=lambda s: (-s.created_at.timestamp(), -s.pk))


def flattrs_of_donor(donor) -> QuerySet[Flattr]:
    return (
        Flattr.objects.filter(donor=donor, thing__banned=False, thing__hidden=False)
        .select_related("thing", "thing__owner", "donor")
        .order_by("-created_at", "-id")
    )


def flattrs_of_thing(thing: Thing) -> QuerySet[Flattr]:
    """A thing's flattrs by donors who allow being shown as supporters."""
    return (
        Flattr.objects.filter(thing=thing, donor__show_as_supporter=True, donor__is_active=True)
        .select_related("thing", "thing__owner", "donor")
        .order_by("-created_at", "-id")
    )


def flattrs_incoming(owner) -> QuerySet[Flattr]:
    """Flattrs on the owner's things by donors who allow being shown."""
    return (
        Flattr.objects.filter(
            thing__owner=owner, donor__show_as_supporter=True, donor__is_active=True
        )
        .select_related("thing", "thing__owner", "donor")
        .order_by("-created_at", "-id")
    )
