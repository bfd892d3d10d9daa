"""Reads of the public site: explore, search, tag pages, profiles, the home page's figures.

Every list is one page of a paginator and costs a fixed number of queries whatever its size:
the count, the page (owner joined, flattr counts as subqueries) and, for a signed-in visitor,
which of the page's things they flattred this month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from flattr.languages import FLATTR_LANGUAGES
from flattr.models import Flattr, Thing
from flattr.selectors import month_start

PAGE_SIZE = 20
QUERY_MAX = 200
TAG_MAX = 40
PROFILE_THINGS = 20
GIVING_SHOWN = 50

# The same expression as the GIN index thing_search_gin (migration flattr 0002), so it is used.
_TSV = (
    'flattr_thing_tsv("flattr_thing"."language", "flattr_thing"."title", '
    '"flattr_thing"."description", "flattr_thing"."tags"::text[])'
)
# The words are parsed as English, German and without stemming, and any parse may match: a
# German thing's stems match the German parse, an English thing's the English one.
_TSQUERY = (
    "(websearch_to_tsquery('english', %s) || websearch_to_tsquery('german', %s)"
    " || websearch_to_tsquery('simple', %s))"
)


class Sort:
    POPULAR = "popular"  # most flattred this month
    NEW = "new"  # submitted this month, newest first
    RELEVANCE = "relevance"  # search results by text rank
    CHOICES = (POPULAR, NEW, RELEVANCE)


def things_listable() -> QuerySet[Thing]:
    """Things explore may list: visible, not banned, with an owner who lets explore show them
    and is not closing their account. Twitter/X accounts have their own list (waiting)."""
    return Thing.objects.filter(
        hidden=False,
        closed=False,
        banned=False,
        owner__isnull=False,
        owner__is_active=True,
        owner__explore_hidden=False,
        owner__closing_requested_at__isnull=True,
    )


def _with_counts(things: QuerySet[Thing], month: dt.date) -> QuerySet[Thing]:
    """Annotate all-time and this month's flattr counts as correlated subqueries (one query)."""
    total = (
        Flattr.objects.filter(thing=OuterRef("pk"))
        .order_by()
        .values("thing")
        .annotate(n=Count("id"))
        .values("n")
    )
    this_month = (
        Flattr.objects.filter(thing=OuterRef("pk"), month=month)
        .order_by()
        .values("thing")
        .annotate(n=Count("id"))
        .values("n")
    )
    return things.annotate(
        flattr_count=Coalesce(Subquery(total, output_field=IntegerField()), 0),
        month_count=Coalesce(Subquery(this_month, output_field=IntegerField()), 0),
    )


def _printable(text) -> str:
    """Drop control characters (PostgreSQL refuses NUL in text; none belongs in a search)."""
    return "".join(ch for ch in str(text) if ch.isprintable())


@dataclass(frozen=True)
class ExploreFilters:
    query: str = ""
    category: str = ""
    language: str = ""
    tag: str = ""
    sort: str = Sort.POPULAR

    @classmethod
    def parse(cls, params, *, tag: str = "") -> ExploreFilters:
        """Read the filters from GET parameters; anything unknown is simply dropped."""
        query = " ".join(_printable(params.get("q", ""))[:QUERY_MAX].split())
        category = params.get("category", "")
        language = params.get("language", "")
        sort = params.get("sort", "")
        if sort not in Sort.CHOICES or (sort == Sort.RELEVANCE and not query):
            sort = Sort.RELEVANCE if query else Sort.POPULAR
        return cls(
            query=query,
            category=category if category in Thing.Category.values else "",
            language=language if language in FLATTR_LANGUAGES else "",
            tag=_printable(tag).strip().lower()[:TAG_MAX],
            sort=sort,
        )


def things_explore(filters: ExploreFilters, *, page: int | str = 1) -> Page:
    """Return one page of listable things for explore, search and tag pages."""
    month = month_start()
    things = _with_counts(things_listable().select_related("owner"), month)
    if filters.category:
        things = things.filter(category=filters.category)
    if filters.language:
        things = things.filter(language=filters.language)
    if filters.tag:
        things = things.filter(tags__contains=[filters.tag])
    if filters.query:
        # The SQL is our constant text; the visitor's words only ever travel as parameters.
        params = [filters.query] * 3
        matches = RawSQL(f"{_TSV} @@ {_TSQUERY}", params, output_field=BooleanField())  # noqa: S611
        rank = RawSQL(f"ts_rank({_TSV}, {_TSQUERY})", params, output_field=FloatField())  # noqa: S611
        things = things.filter(matches).annotate(rank=rank)
    if filters.sort == Sort.NEW:
        things = things.filter(created_at__date__gte=month).order_by("-created_at", "-id")
    elif filters.sort == Sort.RELEVANCE:
        things = things.order_by("-rank", "-month_count", "-id")
    else:
        things = things.order_by("-month_count", "-flattr_count", "-created_at", "-id")
    return Paginator(things, PAGE_SIZE).get_page(page)


def flattred_this_month(*, donor, thing_ids: list[int]) -> set[int]:
    """Return which of `thing_ids` the donor flattred this month (one query; none if anonymous)."""
    if not donor.is_authenticated or not thing_ids:
        return set()
    return set(
        Flattr.objects.filter(donor=donor, month=month_start(), thing_id__in=thing_ids).values_list(
            "thing_id", flat=True
        )
    )


_TAGS_SQL = """
    SELECT tag, COUNT(*) AS n
    FROM flattr_thing t
    JOIN accounts_user u ON u.id = t.owner_id
    CROSS JOIN LATERAL unnest(t.tags) AS tag
    WHERE NOT t.hidden AND NOT t.closed AND NOT t.banned AND u.is_active AND NOT u.explore_hidden
      AND u.closing_requested_at IS NULL
    GROUP BY tag
    ORDER BY n DESC, tag
    LIMIT %s
"""


def tags_popular(*, limit: int = 24) -> list[str]:
    """Return the tags most used by listable things (one query; the filter of things_listable)."""
    with connection.cursor() as cursor:
        cursor.execute(_TAGS_SQL, [limit])
        return [row[0] for row in cursor.fetchall()]


# ---- Profiles ----------------------------------------------------------------------------


def profile_things(owner, *, page: int | str = 1) -> Page:
    """Return one page of the owner's visible things with their counts, most flattred first."""
    things = Thing.objects.filter(owner=owner, hidden=False, closed=False, banned=False)
    things = things.select_related("owner")
    things = _with_counts(things, month_start()).order_by("-flattr_count", "-created_at", "-id")
    return Paginator(things, PROFILE_THINGS).get_page(page)


def profile_giving(user, *, month: dt.date) -> list[Thing]:
    """Return the visible things the user flattred in `month` (for profiles that show giving)."""
    return list(
        Thing.objects.filter(flattrs__donor=user, flattrs__month=month, hidden=False, banned=False)
        .select_related("owner")
        .order_by("title", "id")[:GIVING_SHOWN]
    )


def profile_supporters(user) -> tuple[int, list]:
    """Return (how many people flattred the user's things, the public ones among them).

    Only donors who chose to be shown as supporters are named; the count covers everyone.
    """
    from accounts.models import User

    donors = Flattr.objects.filter(Q(thing__owner=user) | Q(thing__payee__user=user)).values(
        "donor_id"
    )
    total = donors.distinct().count()
    shown = list(
        User.objects.filter(
            pk__in=donors, show_as_supporter=True, is_active=True, erased_at__isnull=True
        ).order_by("username")[:GIVING_SHOWN]
    )
    return total, shown


# ---- Home --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveFigures:
    donors_this_month: int
    things_this_month: int
    last_payday_month: dt.date | None
    last_payday_distributed_cents: int


def live_figures() -> LiveFigures:
    """Return the home page's live figures: this month's donors and flattred things, and what
    the last payday distributed to creators (shares, after the fee)."""
    from payments.transparency import last_payday_distributed

    counts = Flattr.objects.filter(month=month_start()).aggregate(
        donors=Count("donor_id", distinct=True), things=Count("thing_id", distinct=True)
    )
    month, cents = last_payday_distributed()
    return LiveFigures(
        donors_this_month=counts["donors"],
        things_this_month=counts["things"],
        last_payday_month=month,
        last_payday_distributed_cents=cents,
    )


def sitemap_entries(*, limit: int = 50_000) -> tuple[list, list]:
    """Return (things, users) for sitemap.xml: only what is public and indexable.

    A user who asked to stay out of search engines or explore is left out, with their things.
    """
    from accounts.models import User

    users = list(
        User.objects.filter(
            is_active=True,
            profile_noindex=False,
            explore_hidden=False,
            closing_requested_at__isnull=True,
        )
        .order_by("id")
        .values("username", "date_joined")[:limit]
    )
    things = list(
        things_listable()
        .filter(owner__profile_noindex=False)
        .order_by("id")
        .values("id", "updated_at")[:limit]
    )
    return things, users
