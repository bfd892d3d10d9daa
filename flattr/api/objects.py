"""Flattr's objects (thing, user, flattr, subscription, activity) as the API answers them.

Field names and types are Flattr's (FLATTR-API.md): unix times, `hidden` a boolean, `tags` a
list. Mini objects carry what a list needs; `full` swaps them for the full ones. URLs are built
from the request's host, so a client that only changed its base URL follows them correctly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import reverse

from flattr.models import Flattr, Subscription, Thing


def unix(moment) -> int:
    return int(moment.timestamp()) if moment else 0


@dataclass
class Context:
    """What every object needs: the URLs' base, the viewer and their marks."""

    site: str
    viewer: object = None
    full: bool = False
    flattred: set = field(default_factory=set)
    subscribed: set = field(default_factory=set)

    @classmethod
    def of(cls, request: HttpRequest, *, full: bool = False) -> Context:
        return cls(site=request.build_absolute_uri("/").rstrip("/"), viewer=request.api.user,
                   full=full)  # fmt: skip

    @property
    def api(self) -> str:
        return self.site + "/rest/v2"


def user_mini(user, ctx: Context) -> dict | None:
    if user is None:
        return None
    return {
        "type": "user",
        "resource": f"{ctx.api}/users/{user.username}",
        "link": ctx.site + reverse("profile", kwargs={"username": user.username}),
        "username": user.username,
    }


def user_full(user, ctx: Context, *, email: bool = False, extended: bool = False) -> dict | None:
    if user is None:
        return None
    names = (user.display_name or "").split(" ", 1)
    data = {
        **user_mini(user, ctx),
        "url": user.website or "",
        "firstname": names[0],
        "lastname": names[1] if len(names) > 1 else "",
        "avatar": "",
        "about": user.about or "",
        "city": "",
        "country": "",
    }
    if email or extended:
        data["email"] = user.email
    if extended:
        data["registered_at"] = unix(user.date_joined)
    return data


def thing_mini(thing: Thing, ctx: Context, *, with_owner: bool = False) -> dict:
    data = {
        "type": "thing",
        "resource": f"{ctx.api}/things/{thing.pk}",
        "link": ctx.site + reverse("thing_detail", kwargs={"thing_id": thing.pk}),
        "id": thing.pk,
        "url": thing.url,
        "title": thing.title,
        "image": "",
        "flattrs": _count(thing, "flattr_count"),
    }
    if with_owner:
        data["owner"] = user_mini(thing.owner, ctx)
    return data


def thing_full(thing: Thing, ctx: Context) -> dict:
    data = {
        **thing_mini(thing, ctx),
        "flattrs_user_count": _count(thing, "donor_count"),
        "description": thing.description,
        "tags": list(thing.tags or []),
        "language": thing.language or "en_GB",
        "category": thing.category,
        "created_at": unix(thing.created_at),
        "owner": user_full(thing.owner, ctx) if ctx.full else user_mini(thing.owner, ctx),
        "hidden": bool(thing.hidden),
    }
    viewer = ctx.viewer
    if viewer is not None:
        data["flattred"] = thing.pk in ctx.flattred
        data["subscribed"] = thing.pk in ctx.subscribed
        if thing.owner_id == viewer.pk:
            data["last_flattr_at"] = unix(thing.last_flattr_at)
            data["updated_at"] = unix(thing.updated_at)
    return data


def _count(thing: Thing, name: str) -> int:
    value = getattr(thing, name, None)
    if value is not None:
        return int(value)
    if name == "flattr_count":
        return thing.flattrs.count()
    return thing.flattrs.values("donor_id").distinct().count()


def flattr_object(flattr: Flattr, ctx: Context) -> dict:
    thing = flattr.thing
    return {
        "type": "flattr",
        "thing": thing_full(thing, ctx) if ctx.full else thing_mini(thing, ctx, with_owner=True),
        "owner": user_full(flattr.donor, ctx) if ctx.full else user_mini(flattr.donor, ctx),
        "created_at": unix(flattr.created_at),
    }


def subscription_object(subscription: Subscription, ctx: Context) -> dict:
    return {
        "type": "subscription",
        "active": subscription.cancelled_at is None,
        "created_at": unix(subscription.created_at),
        "started_at": unix(subscription.created_at),
        "months": subscription.months,
        "thing": thing_full(subscription.thing, ctx),
    }


def activity_object(flattr: Flattr, ctx: Context) -> dict:
    """One flattr as an Activity Streams 1.0 item ("anna flattred “Post”")."""
    donor, thing = flattr.donor, flattr.thing
    host = ctx.site.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return {
        "published": flattr.created_at.isoformat(timespec="seconds"),
        "title": f"{donor.username} flattred “{thing.title}”",
        "actor": {
            "displayName": donor.username,
            "url": ctx.site + reverse("profile", kwargs={"username": donor.username}),
            "objectType": "person",
        },
        "verb": "like",
        "object": {
            "displayName": thing.title,
            "url": ctx.site + reverse("thing_detail", kwargs={"thing_id": thing.pk}),
            "objectType": "bookmark",
        },
        "id": f"tag:{host},{flattr.created_at:%Y-%m-%d}:{donor.username}/flattr/{thing.pk}",
    }
