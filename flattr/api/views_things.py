"""Things, flattrs and subscriptions over the API (Flattr's /rest/v2/things…, /flattr).

Each view parses, calls one flattr service or selector and answers with Flattr's objects;
refusals (FlattrError) become Flattr's error codes in flattr.api.http.
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

from django.db.models import Count
from django.utils.translation import gettext as _

from flattr.api import objects, params
from flattr.api.http import JSONP_CALLBACK, ApiError, ApiResult, endpoint
from flattr.api.resolve import url_resolve
from flattr.api.selectors import (
    SORTS,
    SearchQuery,
    flattrs_of_thing,
    subscription_paused,
    things_by_ids,
    things_search,
    viewer_marks,
)
from flattr.api.services import thing_delete
from flattr.errors import FlattrError
from flattr.languages import language_normalize
from flattr.models import Flattr, Subscription, Thing
from flattr.selectors import subscription_of_donor, thing_get_or_404
from flattr.services import (
    flattr_add,
    flattr_via_auto_submit,
    subscription_cancel,
    subscription_create,
    thing_create,
    thing_update,
)
from flattr.urls_normalize import url_normalize

THING_FIELDS = ("title", "description", "category", "language", "tags", "hidden")
IDS_MAX = 100


def context(request, things: list[Thing], *, full: bool | None = None) -> objects.Context:
    """Return the objects' context with the viewer's marks for these things."""
    if full is None:
        full = params.flag(request.api_data, "full")
    ctx = objects.Context.of(request, full=full)
    ctx.flattred, ctx.subscribed = viewer_marks(request.api.user, [t.pk for t in things])
    return ctx


def counts_attach(things: list[Thing]) -> None:
    """Give things loaded through a flattr their counts, in one query for the whole page."""
    ids = {t.pk for t in things if getattr(t, "flattr_count", None) is None}
    if not ids:
        return
    rows = (
        Flattr.objects.filter(thing_id__in=ids)
        .values("thing_id")
        .annotate(n=Count("id"), donors=Count("donor_id", distinct=True))
    )
    counts = {row["thing_id"]: (row["n"], row["donors"]) for row in rows}
    for thing in things:
        if thing.pk in ids:
            thing.flattr_count, thing.donor_count = counts.get(thing.pk, (0, 0))


def _thing_or_404(request, thing_id: str) -> Thing:
    return thing_get_or_404(int(thing_id), viewer=request.api.user)


def _thing_fields(data: dict, *, only_given: bool) -> dict:
    fields = {}
    for name in THING_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "hidden":
            fields[name] = params.flag(data, "hidden")
        elif name == "tags" and isinstance(value, list):
            fields[name] = [str(tag) for tag in value]
        elif value is None or isinstance(value, dict | list | bool):
            raise ApiError("validation", _("%(name)s must be a string.") % {"name": name})
        else:
            fields[name] = str(value)
    if not only_given:
        fields.setdefault("language", "en_GB")
    return fields


@endpoint("GET", "POST", auth="public")
def things(request) -> ApiResult:
    """POST things: create a thing (scope `thing`). GET lists nothing (Flattr had no index)."""
    if request.api_method == "GET":
        raise ApiError("not_found", _("List things with things/search or users/:name/things."))
    if request.api.user is None:
        raise ApiError("unauthorized", _("This call needs an access token."))
    if not request.api.has_scope("thing"):
        raise ApiError("insufficient_scope", _("This call needs the “thing” scope."))
    data = request.api_data
    url = params.text(data, "url", limit=5000).strip()
    if not url:
        raise ApiError("validation", _("url is required."))
    fields = _thing_fields(data, only_given=False)
    if not fields.get("title", "").strip():
        fields["title"] = url[:100]
    thing = thing_create(owner=request.api.user, url=url, **fields)
    api_url = objects.Context.of(request).api + f"/things/{thing.pk}"
    body = {
        "id": thing.pk,
        "link": api_url,
        "message": "ok",
        "description": "Thing was created successfully",
    }
    return ApiResult(body, 201, headers={"Location": api_url})


@endpoint("GET", "PATCH", "PUT", "DELETE", auth="public")
def thing_detail(request, ids: str) -> ApiResult:
    """GET things/:id or things/:id,:id…; PATCH (or POST _method=patch) and DELETE one."""
    id_list = [int(part) for part in ids.split(",") if part.strip().isdigit()][:IDS_MAX]
    if request.api_method == "GET":
        if "," in ids:
            found = things_by_ids(id_list, viewer=request.api.user)
            ctx = context(request, found)
            return ApiResult([objects.thing_full(t, ctx) for t in found])
        found = things_by_ids(id_list[:1], viewer=request.api.user)
        if not found:
            raise ApiError("not_found", _("No thing was found."))
        return ApiResult(objects.thing_full(found[0], context(request, found)))
    if len(id_list) != 1 or "," in ids:
        raise ApiError("invalid_request", _("Change one thing at a time."))
    if request.api.user is None:
        raise ApiError("unauthorized", _("This call needs an access token."))
    if not request.api.has_scope("thing"):
        raise ApiError("insufficient_scope", _("This call needs the “thing” scope."))
    thing = _thing_or_404(request, ids)
    if thing.owner_id != request.api.user.pk:
        raise ApiError("thing_owner", _("Only the owner of a thing may change it."))
    if request.api_method == "DELETE":
        thing_delete(thing=thing, actor=request.api.user)
        return ApiResult(None, 204)
    changes = _thing_fields(request.api_data, only_given=True)
    if "url" in request.api_data and params.text(request.api_data, "url").strip():
        changes["url"] = params.text(request.api_data, "url", limit=5000)
    thing_update(thing=thing, actor=request.api.user, **changes)
    return ApiResult({"message": "ok", "description": "Thing was updated correctly"})


@endpoint("GET", auth="public")
def thing_lookup(request) -> ApiResult:
    """things/lookup?url=: 302 to the thing's API URL, or 404 with Flattr's lookup body."""
    data = request.api_data
    url = params.text(data, "url", limit=5000) or params.text(data, "q", limit=5000)
    not_found = ApiError(
        "not_found",
        "No thing was found",
        extra={"message": "not_found", "description": "No thing was found"},
    )
    if not url.strip():
        raise not_found
    try:
        resolved = url_resolve(url, site_host=request.get_host().split(":")[0])
    except FlattrError as error:
        raise not_found from error
    thing = resolved.thing
    if thing is None or thing.hidden or thing.banned:
        raise not_found
    location = objects.Context.of(request).api + f"/things/{thing.pk}"
    callback = request.GET.get("jsonp") or request.GET.get("callback")
    if callback and JSONP_CALLBACK.match(callback):
        # A JSONP <script> follows the redirect: the thing must come back wrapped too.
        location += "?" + urlencode({"jsonp": callback})
    return ApiResult({"message": "found", "location": location}, 302, {"Location": location})


def search_query(data: dict) -> SearchQuery:
    sort = params.text(data, "sort", limit=40).strip().lower()
    languages = []
    for raw in params.word_list(data, "language"):
        try:
            languages.append(language_normalize(raw))
        except ValueError:
            continue
    url = params.text(data, "url", limit=5000).strip()
    if url:
        with contextlib.suppress(ValueError):
            url = url_normalize(url)
    return SearchQuery(
        query=params.text(data, "query", limit=200).strip(),
        url=url,
        tags=params.text(data, "tags", limit=500),
        languages=tuple(languages),
        categories=tuple(c.lower() for c in params.word_list(data, "category")),
        user=params.text(data, "user", limit=150).strip(),
        sort=sort if sort in SORTS else "relevance",
    )


@endpoint("GET", auth="public")
def thing_search(request) -> ApiResult:
    data = request.api_data
    found = things_search(search_query(data))
    _count, page = params.paging(data)
    total = found.count()
    things = params.page_of(found, data)
    ctx = context(request, things)
    body = {
        "total_items": total,
        "items": len(things),
        "page": page,
        "things": [objects.thing_full(t, ctx) for t in things],
    }
    return ApiResult(body)


def flattred_answer(request, thing: Thing) -> ApiResult:
    counts_attach([thing])
    ctx = objects.Context.of(request)
    return ApiResult(
        {
            "message": "ok",
            "description": "Thing was successfully flattred",
            "thing": objects.thing_mini(thing, ctx),
        }
    )


@endpoint("POST", auth="token", scope="flattr")
def thing_flattr(request, thing_id: str) -> ApiResult:
    thing = _thing_or_404(request, thing_id)
    flattr_add(donor=request.api.user, thing=thing, source=Flattr.Source.API)
    return flattred_answer(request, thing)


@endpoint("POST", auth="token", scope="flattr")
def flattr_url(request) -> ApiResult:
    """POST /flattr with `url`: a thing's URL, an auto-submit URL or a profile URL."""
    url = params.text(request.api_data, "url", limit=5000)
    if not url.strip():
        raise ApiError("invalid_request", _("url is required."))
    resolved = url_resolve(url, site_host=request.get_host().split(":")[0])
    if resolved.auto is not None:
        flattr = flattr_via_auto_submit(
            donor=request.api.user,
            owner=resolved.auto.owner,
            source=Flattr.Source.API,
            **resolved.auto.thing_kwargs(),
        )
        return flattred_answer(request, flattr.thing)
    thing = thing_get_or_404(resolved.thing.pk, viewer=request.api.user)
    flattr_add(donor=request.api.user, thing=thing, source=Flattr.Source.API)
    return flattred_answer(request, thing)


@endpoint("GET", auth="public")
def thing_flattrs(request, thing_id: str) -> ApiResult:
    thing = _thing_or_404(request, thing_id)
    flattrs = params.page_of(flattrs_of_thing(thing), request.api_data)
    things = [f.thing for f in flattrs]
    counts_attach(things)
    ctx = context(request, things)
    return ApiResult([objects.flattr_object(f, ctx) for f in flattrs])


def _months(data: dict) -> int:
    value = params.number(data, "months", 12, high=12)
    return value if value in Subscription.Length.values else 12


@endpoint("POST", "PUT", "DELETE", auth="token", scope="flattr")
def thing_subscriptions(request, thing_id: str) -> ApiResult:
    """POST subscribes (12 months unless `months` says 3 or 6), PUT pauses or restarts,
    DELETE ends the subscription."""
    thing = _thing_or_404(request, thing_id)
    user = request.api.user
    running = subscription_of_donor(donor=user, thing=thing)
    method = request.api_method
    ctx = context(request, [thing])
    if method == "POST":
        if running is not None:
            raise ApiError("subscribed", _("You already subscribe to this thing."))
        try:
            subscription_create(donor=user, thing=thing, months=_months(request.api_data))
        except FlattrError as error:
            if error.code == "flattr_owner":  # Flattr's code for subscribing to your own
                raise ApiError("thing_owner", error.message) from error
            raise
        counts_attach([thing])
        ctx = context(request, [thing])
        return ApiResult(
            {
                "message": "ok",
                "description": "Successfully subscribed to Thing",
                "thing": objects.thing_full(thing, ctx),
            }
        )
    if method == "DELETE":
        if running is None:
            paused = subscription_paused(donor=user, thing=thing)
            if paused is None:
                raise ApiError("not_found", _("You do not subscribe to this thing."))
            return ApiResult(None, 204)
        subscription_cancel(donor=user, subscription_id=running.pk)
        return ApiResult(None, 204)
    # PUT: pause a running subscription, or restart a paused one for its length.
    if running is not None:
        subscription_cancel(donor=user, subscription_id=running.pk)
        return ApiResult(
            {
                "message": "paused",
                "description": "Subscription paused",
                "thing": objects.thing_full(thing, ctx),
            }
        )
    paused = subscription_paused(donor=user, thing=thing)
    if paused is None:
        raise ApiError("not_found", _("You do not subscribe to this thing."))
    subscription_create(donor=user, thing=thing, months=paused.months)
    return ApiResult(
        {
            "message": "started",
            "description": "Subscription started",
            "thing": objects.thing_full(thing, context(request, [thing])),
        }
    )
