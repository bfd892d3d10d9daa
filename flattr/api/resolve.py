"""Which thing a URL means, for `things/lookup` and `POST /flattr`.

In order: a platform profile URL (an X account today, through core's registry
flattr.platforms) is that account's thing; an auto-submit URL (`…/submit/auto?user_id=…&url=…`,
Flattr's or ours) is its owner's thing for that URL, which `POST /flattr` creates on the first
flattr; a link to one of our thing pages is that thing; any other URL is the public thing
submitted for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from flattr import platforms
from flattr.api.selectors import thing_for_url
from flattr.auto_submit import AutoSubmit, auto_submit_parse
from flattr.errors import FlattrError
from flattr.models import Thing
from flattr.urls_normalize import url_normalize

_THING_PAGE = re.compile(r"^/thing/(\d{1,18})/?")


@dataclass(frozen=True)
class Resolved:
    thing: Thing | None = None
    auto: AutoSubmit | None = None  # an auto-submit URL whose thing does not exist yet


def platform_thing(url: str) -> Thing | None:
    """Return the platform account's thing for a profile URL (X today, through core's platform
    registry), or None if it is not one."""
    return platforms.thing_for_profile_url(url)


def _auto_submit_existing(query: dict) -> Thing | None:
    username = (query.get("user_id") or query.get("uid") or "").strip()
    try:
        url = url_normalize(query.get("url", ""))
    except ValueError:
        return None
    if not username or len(username) > 150:
        return None
    return (
        Thing.objects.filter(owner__username__iexact=username, owner__is_active=True, url=url)
        .select_related("owner")
        .first()
    )


def url_resolve(raw: str, *, site_host: str) -> Resolved:
    """Return the thing (or auto-submit request) `raw` names; raise FlattrError for a URL that
    is malformed or names nothing we know (`not_found`, `invalid_url`, platform refusals)."""
    raw = (raw or "").strip()
    if not raw:
        raise FlattrError("invalid_parameters", "url is required")
    thing = platform_thing(raw)
    if thing is not None:
        return Resolved(thing=thing)
    parts = urlsplit(raw)
    if parts.path.rstrip("/").endswith("/submit/auto"):
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if not (query.get("title") or "").strip() and query.get("url"):
            # Flattr's own example has no title (Flattr fetched the page); the URL stands in.
            query["title"] = query["url"][:100]
        try:
            auto = auto_submit_parse(query)
        except FlattrError:
            # A lookup needs only user_id and url: a title too short to create a thing with
            # still names an existing one.
            existing = _auto_submit_existing(query)
            if existing is None:
                raise
            return Resolved(thing=existing)
        return Resolved(thing=auto.thing) if auto.thing is not None else Resolved(auto=auto)
    host = (parts.hostname or "").lower()
    match = _THING_PAGE.match(parts.path)
    if match and host == site_host.lower():
        found = Thing.objects.filter(pk=int(match.group(1))).select_related("owner").first()
        if found is not None:
            return Resolved(thing=found)
    try:
        normalized = url_normalize(raw)
    except ValueError as error:
        raise FlattrError("invalid_url", str(error)) from error
    found = thing_for_url(normalized)
    if found is None:
        raise FlattrError("not_found", "No thing was found")
    return Resolved(thing=found)
