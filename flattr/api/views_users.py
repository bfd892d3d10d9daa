"""Users, the authenticated user, activities and the small lists (categories, languages,
rate_limit) over the API."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from accounts.selectors import user_get_public_or_404
from flattr.api import objects, params, ratelimit
from flattr.api.http import ApiError, ApiResult, endpoint
from flattr.api.selectors import (
    flattrs_incoming,
    flattrs_of_donor,
    subscriptions_for_api,
    things_of_owner,
)
from flattr.api.views_things import context, counts_attach
from flattr.languages import language_choices
from flattr.models import Thing

STREAM_JSON = "application/stream+json"
ATOM = "application/atom+xml; charset=utf-8"


def _user(username: str):
    if len(username) > 150:
        raise Http404
    return user_get_public_or_404(username=username)


def _things(request, owner, *, include_hidden: bool) -> ApiResult:
    things = params.page_of(things_of_owner(owner, include_hidden=include_hidden), request.api_data)
    ctx = context(request, things)
    return ApiResult([objects.thing_full(t, ctx) for t in things])


def _flattrs(request, donor, *, public: bool) -> ApiResult:
    if public and not donor.show_as_supporter:
        return ApiResult([])  # the donor chose not to be shown as a supporter
    flattrs = params.page_of(flattrs_of_donor(donor), request.api_data)
    things = [f.thing for f in flattrs]
    counts_attach(things)
    ctx = context(request, things)
    return ApiResult([objects.flattr_object(f, ctx) for f in flattrs])


def _activities(request, user, *, public: bool) -> ApiResult:
    kind = params.text(request.api_data, "type", limit=20).strip().lower()
    if kind == "incoming":
        flattrs = flattrs_incoming(user)
    elif public and not user.show_as_supporter:
        flattrs = []
    else:
        flattrs = flattrs_of_donor(user)
    ctx = objects.Context.of(request)
    page = params.page_of(flattrs, request.api_data)
    if kwargs_format(request) == ".atom":
        return ApiResult(raw=activities_atom(page, ctx, user), content_type=ATOM)
    items = [objects.activity_object(f, ctx) for f in page]
    accept = request.headers.get("Accept", "")
    stream = STREAM_JSON in accept or kwargs_format(request) == ".as"
    content_type = STREAM_JSON if stream else "application/json; charset=utf-8"
    return ApiResult({"items": items}, content_type=content_type)


def kwargs_format(request) -> str:
    """Return the suffix of `activities.as` / `activities.atom` (Flattr's two formats)."""
    return (request.resolver_match.kwargs.get("format") or "") if request.resolver_match else ""


def activities_atom(flattrs, ctx, user) -> str:
    feed = Atom1Feed(
        title=_("Flattr activities of %(name)s") % {"name": user.username},
        link=ctx.site + reverse("profile", kwargs={"username": user.username}),
        description="",
    )
    for flattr in flattrs:
        item = objects.activity_object(flattr, ctx)
        feed.add_item(
            title=item["title"],
            link=item["object"]["url"],
            description=item["title"],
            unique_id=item["id"],
            pubdate=flattr.created_at,
            author_name=flattr.donor.username,
        )
    return feed.writeString("utf-8")


@endpoint("GET", auth="public")
def user_public(request, username: str) -> ApiResult:
    user = _user(username)
    return ApiResult(objects.user_full(user, objects.Context.of(request)))


@endpoint("GET", auth="public")
def user_public_things(request, username: str) -> ApiResult:
    return _things(request, _user(username), include_hidden=False)


@endpoint("GET", auth="public")
def user_public_flattrs(request, username: str) -> ApiResult:
    return _flattrs(request, _user(username), public=True)


@endpoint("GET", auth="public")
def user_public_activities(request, username: str, format: str = "") -> ApiResult:
    return _activities(request, _user(username), public=True)


@endpoint("GET", auth="token")
def user_me(request) -> ApiResult:
    auth = request.api
    body = objects.user_full(
        auth.user,
        objects.Context.of(request),
        email=auth.has_scope("email"),
        extended=auth.has_scope("extendedread"),
    )
    return ApiResult(body)


@endpoint("GET", auth="token")
def user_things(request) -> ApiResult:
    extended = request.api.has_scope("extendedread")
    return _things(request, request.api.user, include_hidden=extended)


@endpoint("GET", auth="token")
def user_flattrs(request) -> ApiResult:
    return _flattrs(request, request.api.user, public=False)


@endpoint("GET", auth="token", scope="flattr")
def user_subscriptions(request) -> ApiResult:
    subscriptions = params.page_of(subscriptions_for_api(request.api.user), request.api_data)
    things = [s.thing for s in subscriptions]
    counts_attach(things)
    ctx = context(request, things)
    return ApiResult([objects.subscription_object(s, ctx) for s in subscriptions])


@endpoint("GET", auth="token")
def user_activities(request, format: str = "") -> ApiResult:
    return _activities(request, request.api.user, public=False)


@endpoint("GET", auth="public")
def categories(request) -> ApiResult:
    return ApiResult(
        [
            {"id": value, "text": str(label), "name": str(label)}
            for value, label in Thing.Category.choices
        ]
    )


@endpoint("GET", auth="public")
def languages(request) -> ApiResult:
    return ApiResult([{"id": code, "text": str(name)} for code, name in language_choices()])


@endpoint("GET", auth="public", counted=False)
def rate_limit(request) -> ApiResult:
    """Flattr copied Twitter's answer: `reset_time_in_seconds` is the unix time of the reset,
    `reset_time` the same moment as "Mon Sep 13 01:00:00 +0000 2010"."""
    info = ratelimit.status(request.api)
    reset = dt.datetime.fromtimestamp(info["reset"], tz=dt.UTC)
    return ApiResult(
        {
            "hourly_limit": info["limit"],
            "remaining_hits": info["remaining"],
            "current_hits": info["current"],
            "reset_time_in_seconds": info["reset"],
            "reset_time": reset.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        }
    )


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE", auth="public", counted=False)
def not_found(request, rest: str = "") -> ApiResult:
    raise ApiError("not_found", _("No such resource."))
