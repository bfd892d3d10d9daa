"""Things: create, edit, hide, the auto-submit path, and the things that stand for platform
accounts (no owner until claimed). Each service owns its transaction.

Counts and button data are cached in Redis (see flattr.selectors); every write here deletes the
affected keys with `transaction.on_commit`, so a reader never caches a count from before a commit
that has already been announced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from flattr.errors import FlattrError
from flattr.languages import language_normalize
from flattr.models import DESCRIPTION_MAX, TITLE_MAX, TITLE_MIN, URL_MAX, Thing
from flattr.selectors import button_key, count_cache_invalidate
from flattr.url_destinations import url_destination_check
from flattr.urls_normalize import url_normalize

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
        normalized = url_normalize(url)
        url_destination_check(normalized)
    except ValueError as error:
        raise FlattrError("invalid_url", str(error), field="url") from error
    return normalized


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


def thing_button_keys(thing: Thing) -> list[str]:
    """Return the button cache keys that show this thing."""
    if thing.owner_id is None:
        return []
    return [button_key(uid=thing.owner.username, url=thing.url)]


def counts_forget_on_commit(thing_ids: list[int], keys: list[str]) -> None:
    """Forget the cached counts, badges and button data of these things once the caller's
    transaction commits (a reader in between still sees the old, committed state)."""
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
    title_from_url: bool = False,
) -> Thing:
    """Create a thing owned by `owner`, paying into the owner's earnings.

    `title_from_url` marks a title made up from the address (flattr.titles), which the owner is
    asked to replace. Raise FlattrError: `invalid_url`/`invalid_parameters` for bad fields,
    `thing_exists` when the owner already has a thing with this (normalized) URL.
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
            thing = Thing.objects.create(
                owner=owner, payee=payee, title_from_url=title_from_url, **fields.__dict__
            )
    except IntegrityError as error:
        if "thing_url_unique_per_owner" in str(error):
            raise FlattrError("thing_exists", field="url") from error
        raise
    counts_forget_on_commit([thing.pk], thing_button_keys(thing))
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
    old_keys = thing_button_keys(thing)
    fields = thing_fields_clean(**{**current, **changes})
    if fields.title != thing.title:
        thing.title_from_url = False  # the owner wrote a title of their own
    for name, value in fields.__dict__.items():
        setattr(thing, name, value)
    try:
        with transaction.atomic():
            thing.save()
    except IntegrityError as error:
        if "thing_url_unique_per_owner" in str(error):
            raise FlattrError("thing_exists", field="url") from error
        raise
    counts_forget_on_commit([thing.pk], [*old_keys, *thing_button_keys(thing)])
    return thing


def thing_hidden_set(*, thing: Thing, actor, hidden: bool) -> Thing:
    """Unlist the owner's thing (Flattr's `hidden`: out of explore and search, its page and
    button still work for whoever has the link) or list it again."""
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
    title_from_url: bool = False,
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
        return thing_create(owner=owner, title_from_url=title_from_url, **fields.__dict__)
    except FlattrError as error:
        if error.code != "thing_exists":
            raise
        return Thing.objects.get(owner=owner, url=fields.url)


# ---- Things of platform accounts ------------------------------------------------------------
# A platform app (twitter_claims …) owns its accounts; their things are ours. They have no owner
# until claimed and pay into the account's held pool. The platform app vouches for the title
# (a handle like "@bob" is shorter than TITLE_MIN), so only the lengths are enforced here.


def _account_thing_changed(thing_id: int) -> None:
    thing = Thing.objects.select_related("owner").get(pk=thing_id)
    counts_forget_on_commit([thing_id], thing_button_keys(thing))


@transaction.atomic
def account_thing_create(*, payee, url: str, title: str, description: str = "") -> Thing:
    """Create the thing donors flattr for a platform account, paying into `payee` (its pool)."""
    thing = Thing.objects.create(
        owner=None,
        payee=payee,
        url=url[:URL_MAX],
        title=title[:TITLE_MAX],
        description=description[:DESCRIPTION_MAX],
        category=Thing.Category.PEOPLE,
    )
    counts_forget_on_commit([thing.pk], [])
    return thing


@transaction.atomic
def account_thing_rename(*, thing_id: int, title: str, description: str = "") -> None:
    """Show a platform account's new handle and name (the platform told us of a rename)."""
    Thing.objects.filter(pk=thing_id).update(
        title=title[:TITLE_MAX], description=description[:DESCRIPTION_MAX]
    )
    _account_thing_changed(thing_id)


@transaction.atomic
def account_thing_claim(*, thing_id: int, owner, payee) -> None:
    """Give a claimed platform account's thing to its owner: from now on its shares go to
    `payee` (the owner's earnings), and it is open again if a refusal had closed it."""
    Thing.objects.filter(pk=thing_id).update(owner=owner, payee=payee, closed=False)
    _account_thing_changed(thing_id)


@transaction.atomic
def account_thing_closed_set(*, thing_id: int, closed: bool) -> None:
    """Close a platform account's thing (its owner refuses flattrs, or the handle behind it was
    resolved or released), so every way of flattring it is refused with `thing_hidden` and its
    month's flattrs do not count; or open it again. Not `hidden`, which only unlists."""
    Thing.objects.filter(pk=thing_id).update(closed=closed)
    _account_thing_changed(thing_id)


@transaction.atomic
def account_thing_release(*, thing_id: int, payee) -> None:
    """Give a platform account's thing back to no one (its owner disconnected the account):
    from now on its shares wait in `payee`, the account's held pool, again."""
    Thing.objects.filter(pk=thing_id).update(owner=None, payee=payee)
    _account_thing_changed(thing_id)
