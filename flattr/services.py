"""Every change to things, flattrs and subscriptions. Each service owns its transaction.

Counts and button data are cached in Redis (see flattr.selectors); every write here deletes the
affected keys with `transaction.on_commit`, so a reader never caches a count from before a commit
that has already been announced.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from flattr.errors import FlattrError
from flattr.languages import language_normalize
from flattr.models import DESCRIPTION_MAX, TITLE_MAX, TITLE_MIN, Flattr, Subscription, Thing
from flattr.selectors import (
    BIGINT_MAX,
    button_key,
    count_cache_invalidate,
    month_next,
    month_start,
)
from flattr.urls_normalize import url_normalize

SQL_DIR = Path(__file__).resolve().parent / "sql"
TAGS_MAX = 20
TAG_MAX_LENGTH = 40
# Control characters are refused in titles and tags; descriptions may keep line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# ---- Things -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThingFields:
    """Validated, normalized fields of a thing (see `thing_fields_clean`)."""

    url: str
    title: str
    description: str
    category: str
    tags: list[str]
    language: str
    hidden: bool


def thing_fields_clean(
    *,
    url: str,
    title: str,
    description: str = "",
    category: str = Thing.Category.REST,
    tags: Iterable[str] | str = (),
    language: str = "",
    hidden: bool = False,
) -> ThingFields:
    """Validate and normalize a thing's fields, or raise FlattrError naming the first problem.

    The rules are Flattr's: title 5-100 characters, description up to 1000, one of the seven
    categories, up to 20 tags of up to 40 characters, a Flattr language id. Each rule is also
    available alone (FIELD_CLEANERS), so a form can show every problem at once.
    """
    return ThingFields(
        url=url_clean(url),
        title=title_clean(title),
        description=description_clean(description),
        category=category_clean(category),
        tags=tags_clean(tags),
        language=thing_language_clean(language),
        hidden=bool(hidden),
    )


def url_clean(url: str) -> str:
    try:
        return url_normalize(url)
    except ValueError as error:
        raise FlattrError("invalid_url", str(error), field="url") from error


def title_clean(title: str) -> str:
    title = (title or "").strip()
    if _CONTROL.search(title):
        raise FlattrError(
            "invalid_parameters", _("The title contains control characters."), field="title"
        )
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise FlattrError(
            "invalid_parameters",
            _("The title must be %(min)d to %(max)d characters long.")
            % {"min": TITLE_MIN, "max": TITLE_MAX},
            field="title",
        )
    return title


def description_clean(description: str) -> str:
    description = (description or "").strip()
    if _CONTROL_EXCEPT_WHITESPACE.search(description):
        raise FlattrError(
            "invalid_parameters",
            _("The description contains control characters."),
            field="description",
        )
    if len(description) > DESCRIPTION_MAX:
        raise FlattrError(
            "invalid_parameters",
            _("The description can be at most %(max)d characters long.") % {"max": DESCRIPTION_MAX},
            field="description",
        )
    return description


def category_clean(category: str) -> str:
    category = (category or Thing.Category.REST).strip().lower()
    if category not in Thing.Category.values:
        raise FlattrError("invalid_parameters", _("Unknown category."), field="category")
    return category


def thing_language_clean(language: str) -> str:
    try:
        return language_normalize(language)
    except ValueError as error:
        raise FlattrError("invalid_parameters", str(error), field="language") from error


def tags_clean(tags: Iterable[str] | str) -> list[str]:
    """Return tags lower-cased, trimmed and without duplicates ("a, B,a" → ["a", "b"])."""
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned: list[str] = []
    for tag in tags:
        tag = str(tag).strip().lower()
        if not tag or tag in cleaned:
            continue
        if _CONTROL.search(tag):
            raise FlattrError(
                "invalid_parameters", _("A tag contains control characters."), field="tags"
            )
        if len(tag) > TAG_MAX_LENGTH:
            raise FlattrError(
                "invalid_parameters",
                _("Tags can be at most %(max)d characters long.") % {"max": TAG_MAX_LENGTH},
                field="tags",
            )
        cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        raise FlattrError(
            "invalid_parameters",
            _("At most %(max)d tags, please.") % {"max": TAGS_MAX},
            field="tags",
        )
    return cleaned


FIELD_CLEANERS = {
    "url": url_clean,
    "title": title_clean,
    "description": description_clean,
    "category": category_clean,
    "tags": tags_clean,
    "language": thing_language_clean,
}


def _thing_keys(thing: Thing) -> list[str]:
    """Return the button cache keys that show this thing."""
    if thing.owner_id is None:
        return []
    return [button_key(uid=thing.owner.username, url=thing.url)]


def _invalidate_on_commit(thing_ids: list[int], keys: list[str]) -> None:
    transaction.on_commit(lambda: count_cache_invalidate(thing_ids=thing_ids, button_keys=keys))


@transaction.atomic
def thing_create(
    *,
    owner,
    url: str,
    title: str,
    description: str = "",
    category: str = Thing.Category.REST,
    tags: Iterable[str] | str = (),
    language: str = "en_GB",
    hidden: bool = False,
) -> Thing:
    """Create a thing owned by `owner`, paying into the owner's earnings.

    Raise FlattrError: `invalid_url`/`invalid_parameters` for bad fields, `thing_exists` when
    the owner already has a thing with this (normalized) URL.
    """
    from payments.services import user_account

    fields = thing_fields_clean(
        url=url,
        title=title,
        description=description,
        category=category,
        tags=tags,
        language=language,
        hidden=hidden,
    )
    payee = user_account(owner, "earnings")
    try:
        with transaction.atomic():
            thing = Thing.objects.create(owner=owner, payee=payee, **fields.__dict__)
    except IntegrityError as error:
        if "thing_url_unique_per_owner" in str(error):
            raise FlattrError("thing_exists", field="url") from error
        raise
    _invalidate_on_commit([thing.pk], _thing_keys(thing))
    return thing


@transaction.atomic
def thing_update(*, thing: Thing, actor, **changes) -> Thing:
    """Change the owner's thing (url, title, description, category, tags, language, hidden).

    Raise FlattrError `not_found` unless `actor` owns it; field errors as in `thing_create`.
    """
    thing = Thing.objects.select_for_update(of=("self",)).select_related("owner").get(pk=thing.pk)
    if thing.owner_id is None or thing.owner_id != actor.pk:
        raise FlattrError("not_found")
    current = {
        "url": thing.url,
        "title": thing.title,
        "description": thing.description,
        "category": thing.category,
        "tags": thing.tags,
        "language": thing.language,
        "hidden": thing.hidden,
    }
    unknown = set(changes) - set(current)
    if unknown:
        raise TypeError(f"thing_update() got unexpected fields {sorted(unknown)}")
    old_keys = _thing_keys(thing)
    fields = thing_fields_clean(**{**current, **changes})
    for name, value in fields.__dict__.items():
        setattr(thing, name, value)
    try:
        with transaction.atomic():
            thing.save()
    except IntegrityError as error:
        if "thing_url_unique_per_owner" in str(error):
            raise FlattrError("thing_exists", field="url") from error
        raise
    _invalidate_on_commit([thing.pk], [*old_keys, *_thing_keys(thing)])
    return thing


def thing_hidden_set(*, thing: Thing, actor, hidden: bool) -> Thing:
    """Hide the owner's thing (unlisted, its page gone, no new flattrs) or show it again."""
    return thing_update(thing=thing, actor=actor, hidden=hidden)


@transaction.atomic
def thing_for_auto_submit(
    *,
    owner,
    url: str,
    title: str,
    description: str = "",
    category: str = Thing.Category.REST,
    tags: Iterable[str] | str = (),
    language: str = "en_GB",
    hidden: bool = False,
) -> Thing:
    """Return the owner's thing for this URL, creating it from the auto-submit fields if new.

    This is how Flattr's `/submit/auto` links, `<link rel="payment">` tags and buttons for
    unregistered URLs work: the thing comes into being on its first flattr. An existing thing is
    returned as it is (its owner's edits win over whatever the link says). Safe under
    concurrency: two first flattrs at once create one thing.
    """
    fields = thing_fields_clean(
        url=url,
        title=title,
        description=description,
        category=category,
        tags=tags,
        language=language,
        hidden=hidden,
    )
    existing = Thing.objects.filter(owner=owner, url=fields.url).first()
    if existing is not None:
        return existing
    try:
        return thing_create(owner=owner, **fields.__dict__)
    except FlattrError as error:
        if error.code != "thing_exists":
            raise
        return Thing.objects.get(owner=owner, url=fields.url)


# ---- Flattrs ------------------------------------------------------------------------------


def _month_name(month: dt.date) -> str:
    return formats.date_format(month, "F")


def _flattr_refusal(*, donor, thing: Thing) -> FlattrError | None:
    """Return why `donor` may not flattr `thing` now (ignoring "already flattred"), or None."""
    from accounts.moderation import user_blocked
    from payments.selectors import means_check

    if thing.hidden or thing.banned:
        return FlattrError("thing_hidden")
    if thing.payee.user is not None and user_blocked(thing.payee.user):
        return FlattrError("thing_hidden")  # a suspended or fraud-marked recipient's things
    if thing.owner_id == donor.pk or thing.payee.user_id == donor.pk:
        return FlattrError("flattr_owner")
    code = means_check(donor)
    if code is not None:
        return FlattrError(code)
    return None


def flattr_once_error(month: dt.date) -> FlattrError:
    """Return the `flattr_once` error naming the month ("You already flattred this in November")."""
    return FlattrError(
        "flattr_once",
        _("You already flattred this in %(month)s.") % {"month": _month_name(month)},
    )


_FLATTR_INSERT = """
    INSERT INTO flattr_flattr (donor_id, thing_id, month, source, created_at)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (donor_id, thing_id, month) DO NOTHING
    RETURNING id
"""


@transaction.atomic
def flattr_add(*, donor, thing: Thing, source: str = Flattr.Source.SITE) -> Flattr:
    """Record that `donor` flattrs `thing` this month, at most once.

    Raise FlattrError: `thing_hidden`, `flattr_owner`, `account_frozen`, `no_means` (see
    payments.selectors.means_check: a budget of at least MIN_BUDGET_CENTS and a wallet payday can
    take from), `flattr_once` when this month's flattr exists. The database's unique constraint
    decides races: of any number of concurrent requests, one inserts and the rest see
    `flattr_once`. No money moves now; payday splits the month's budget.
    """
    if source not in Flattr.Source.values:
        raise ValueError(f"unknown flattr source {source!r}")
    thing = Thing.objects.select_related("owner", "payee__user").get(pk=thing.pk)
    month = month_start()
    if Flattr.objects.filter(donor=donor, thing=thing, month=month).exists():
        raise flattr_once_error(month)
    refusal = _flattr_refusal(donor=donor, thing=thing)
    if refusal is not None:
        raise refusal
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_FLATTR_INSERT, [donor.pk, thing.pk, month, source, now])
        row = cursor.fetchone()
    if row is None:  # a concurrent request inserted it first
        raise flattr_once_error(month)
    Thing.objects.filter(pk=thing.pk).update(last_flattr_at=now)
    _invalidate_on_commit([thing.pk], _thing_keys(thing))
    return Flattr(id=row[0], donor=donor, thing=thing, month=month, source=source, created_at=now)


@transaction.atomic
def flattr_via_auto_submit(
    *, donor, owner, source: str = Flattr.Source.BUTTON, **thing_fields
) -> Flattr:
    """Flattr the thing an auto-submit link or button describes, creating it if new.

    One transaction: when the flattr is refused, a thing created for it is rolled back too, so
    things come into being only with their first flattr.
    """
    thing = thing_for_auto_submit(owner=owner, **thing_fields)
    return flattr_add(donor=donor, thing=thing, source=source)


@transaction.atomic
def flattr_remove(*, donor, flattr_id: int) -> None:
    """Remove the donor's flattr while its month is still open.

    A flattr counts for the month it was made in and is settled on the next payday; once that
    month has ended it belongs to payday and stays. Raise FlattrError `not_found` (no such flattr
    of this donor) or `flattr_closed`.
    """
    if not 0 < flattr_id <= BIGINT_MAX:
        raise FlattrError("not_found", _("That flattr does not exist (any more)."))
    flattr = (
        Flattr.objects.select_for_update(of=("self",))
        .select_related("thing", "thing__owner")
        .filter(pk=flattr_id, donor=donor)
        .first()
    )
    if flattr is None:
        raise FlattrError("not_found", _("That flattr does not exist (any more)."))
    if flattr.month < month_start() or hasattr(flattr, "share"):
        raise FlattrError("flattr_closed")
    thing = flattr.thing
    flattr.delete()
    _invalidate_on_commit([thing.pk], _thing_keys(thing))


# ---- Subscriptions ------------------------------------------------------------------------


@transaction.atomic
def subscription_create(*, donor, thing: Thing, months: int) -> Subscription:
    """Flattr `thing` this month and automatically at the start of the next months-1 months.

    Raise FlattrError as flattr_add would (except that an existing flattr this month is fine),
    `invalid_parameters` for a length other than 3, 6 or 12, `subscription_exists` while one runs.
    """
    if months not in Subscription.Length.values:
        raise FlattrError("invalid_parameters", _("Subscriptions run for 3, 6 or 12 months."))
    thing = Thing.objects.select_related("owner", "payee__user").get(pk=thing.pk)
    refusal = _flattr_refusal(donor=donor, thing=thing)
    if refusal is not None:
        raise refusal
    first = month_start()
    current = (
        Subscription.objects.select_for_update()
        .filter(donor=donor, thing=thing, cancelled_at__isnull=True)
        .first()
    )
    if current is not None:
        if current.last_month >= first:
            raise FlattrError(
                "subscription_exists",
                _("You already subscribe to this until %(month)s.")
                % {"month": formats.date_format(current.last_month, "F Y")},
            )
        current.cancelled_at = timezone.now()  # it ran out; the new one replaces it
        current.save(update_fields=["cancelled_at"])
    last = first
    for _i in range(months - 1):
        last = month_next(last)
    subscription = Subscription.objects.create(
        donor=donor, thing=thing, months=months, first_month=first, last_month=last
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_FLATTR_INSERT, [donor.pk, thing.pk, first, Flattr.Source.SUBSCRIPTION, now])
        if cursor.fetchone() is not None:
            Thing.objects.filter(pk=thing.pk).update(last_flattr_at=now)
    _invalidate_on_commit([thing.pk], _thing_keys(thing))
    return subscription


@transaction.atomic
def subscription_cancel(*, donor, subscription_id: int) -> Subscription:
    """Stop a subscription: no more automatic flattrs. This month's flattr stays (removable)."""
    if not 0 < subscription_id <= BIGINT_MAX:
        raise FlattrError("not_found", _("That subscription does not exist (any more)."))
    subscription = (
        Subscription.objects.select_for_update()
        .filter(pk=subscription_id, donor=donor, cancelled_at__isnull=True)
        .first()
    )
    if subscription is None:
        raise FlattrError("not_found", _("That subscription does not exist (any more)."))
    subscription.cancelled_at = timezone.now()
    subscription.save(update_fields=["cancelled_at"])
    return subscription


@transaction.atomic
def subscriptions_renew(*, month: dt.date | None = None) -> int:
    """Create this month's flattrs for every running subscription, in one INSERT … SELECT.

    Idempotent (ON CONFLICT DO NOTHING on the one-flattr-per-month constraint): run it twice, or
    after the donor already clicked, and nothing doubles. Skips hidden or banned things, the
    donor's own things, frozen accounts and donors whose budget is below the minimum (they have
    stopped giving); the wallet is not checked, since money added before payday still counts.
    Return how many flattrs were created.
    """
    month = month_start(month)
    sql = (SQL_DIR / "subscriptions_renew.sql").read_text()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(sql, {"month": month, "now": now, "min_budget": settings.MIN_BUDGET_CENTS})
        rows = cursor.fetchall()
        if not rows:
            return 0
        thing_ids = sorted({row[0] for row in rows})
        cursor.execute(
            "UPDATE flattr_thing SET last_flattr_at = %s WHERE id = ANY(%s) "
            "AND (last_flattr_at IS NULL OR last_flattr_at < %s)",
            [now, thing_ids, now],
        )
        cursor.execute(
            "SELECT u.username, t.url FROM flattr_thing t JOIN accounts_user u "
            "ON u.id = t.owner_id WHERE t.id = ANY(%s)",
            [thing_ids],
        )
        keys = [button_key(uid=username, url=url) for username, url in cursor.fetchall()]
    _invalidate_on_commit(thing_ids, keys)
    return len(rows)
