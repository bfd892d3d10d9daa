"""The embeddable button: the loader script, the iframe, the badge, counts and the confirmation.

The iframe (`/button/view/`) is the only page of the site that may be framed. It never moves
money and never reads the session: it is the same for everybody, so it is cached by browsers and
shared caches (Cache-Control, ETag) and costs no query when Redis has the count. A click opens a
small top-level window on our origin (`/flattr/confirm/`), where the donor confirms with a
CSRF-protected POST; that window then tells the iframe the new count with postMessage.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import quote_etag
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_safe

from flattr.auto_submit import AutoSubmit, auto_submit_parse
from flattr.errors import FlattrError
from flattr.models import DESCRIPTION_MAX, TITLE_MAX, Flattr, Thing
from flattr.platforms import ButtonAccount, button_account, platform_list
from flattr.selectors import (
    BUTTON_LOCAL_CACHE,
    ButtonData,
    button_data,
    flattr_of_donor_this_month,
    thing_badge_data,
    thing_flattr_count,
)
from flattr.services import flattr_add, flattr_via_auto_submit
from flattr.urls_normalize import url_normalize

BUTTON_TYPES = {"large": (55, 62), "compact": (110, 20)}
LOADER_CACHE_SECONDS = 24 * 3600
LOADER_PATH = settings.BASE_DIR / "static" / "js" / "load.js"
UID_MAX = 150
# The iframe may be framed by any site; everything else in the policy stays as strict as the
# rest of the site (scripts and styles only from our origin, no inline code).
BUTTON_CSP = {**settings.SECURE_CSP, "frame-ancestors": ["*"]}
# The confirmation window must keep its `window.opener` (the button iframe on a third-party
# page) to tell it the new count, so it opts out of the site-wide COOP, which would sever it.
CONFIRM_COOP = "unsafe-none"


def _cacheable(response: HttpResponse, etag: str, seconds: int) -> HttpResponse:
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=seconds)
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _not_modified(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in candidates or "*" in candidates


def _etag(*parts) -> str:
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=12).hexdigest()
    return quote_etag(digest)


# ---- The loader script -------------------------------------------------------------------


LOADER_PLATFORM_PARAMS = b"/*platform-params*/[]"


@lru_cache(maxsize=1)
def _loader_source_cached() -> tuple[bytes, str]:
    """Return the loader with the registered platforms' own button parameters filled in (so
    `data-flattr-<param>` markup of any platform reaches the iframe), and its ETag."""
    params = sorted(p.button_param for p in platform_list() if p.button_param)
    body = LOADER_PATH.read_bytes().replace(LOADER_PLATFORM_PARAMS, json.dumps(params).encode())
    return body, _etag(hashlib.sha256(body).hexdigest())


def _loader_source() -> tuple[bytes, str]:
    if settings.DEBUG:
        _loader_source_cached.cache_clear()
    return _loader_source_cached()


def loader_script() -> bytes:
    """Return the loader's source as served (for /api/flattr.js, which embeds it)."""
    return _loader_source()[0]


@require_safe
def loader_js(request: HttpRequest) -> HttpResponse:
    """Serve /js/load.js (and Flattr's /js/0.6/load.js): one script for any number of buttons."""
    body, etag = _loader_source()
    if _not_modified(request, etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response = _cacheable(response, etag, LOADER_CACHE_SECONDS)
    patch_cache_control(response, stale_while_revalidate=LOADER_CACHE_SECONDS)
    return response


# ---- The iframe, badge and count ---------------------------------------------------------


def _button_target(request: HttpRequest) -> tuple[str, str, ButtonData] | HttpResponse:
    """Return (uid, normalized url, data) for uid+url parameters, or an error response."""
    get = request.GET.get
    uid = (get("uid") or get("user_id") or get("fid") or "").strip()  # fid: the 2016 widget
    if not uid or len(uid) > UID_MAX:
        return HttpResponse("Missing or invalid uid.", status=400, content_type="text/plain")
    try:
        url = url_normalize(request.GET.get("url", ""))
    except ValueError as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    data = button_data(uid=uid, url=url)
    if not data.user_found:
        return HttpResponse("No such user.", status=404, content_type="text/plain")
    if data.username and data.username.lower() != uid.lower():
        uid = data.username  # an old Flattr id (numeric uid, fid) names this user
    return uid, url, data


def _confirm_query(request: HttpRequest, uid: str, url: str, data: ButtonData) -> str:
    """Return the confirmation window's query: the thing's id, or the auto-submit fields."""
    params: dict[str, str] = {}
    if data.thing_id is not None:
        params["thing"] = str(data.thing_id)
    else:
        params["user_id"] = uid
        params["url"] = url
        for name in ("title", "description", "language", "tags", "category", "hidden"):
            value = request.GET.get(name, "")
            if value:
                params[name] = value[:DESCRIPTION_MAX]  # the longest of these fields
    account = button_account(request.GET)
    if account is not None:
        params.update(account.query())
    return urlencode(params)


@lru_cache(maxsize=8)
def _hook_url(script: str) -> str:
    """Return the URL of a platform's button hook script, or "" if it does not exist."""
    from django.contrib.staticfiles import finders

    if not script or not finders.find(script):
        return ""
    try:
        return staticfiles_storage.url(script)
    except ValueError:  # not collected into the manifest: no hook
        return ""


@xframe_options_exempt
@csp_override(BUTTON_CSP)
@require_safe
def button_view(request: HttpRequest) -> HttpResponse:
    """The iframe button: `/button/view/?uid=U&url=URL&title=T&button=compact` (Flattr's path).

    Large (55x62, count above) or compact (110x20, count beside). It reads no session and is the
    same for everybody: Cache-Control and an ETag make repeat views free, the rendered answer
    is kept for a second in process memory (BUTTON_LOCAL_CACHE), and the data behind it in
    Redis, so a button costs no query unless Redis has forgotten it.
    """
    local_key = (request.META.get("QUERY_STRING", ""), getattr(request, "LANGUAGE_CODE", ""))
    rendered = BUTTON_LOCAL_CACHE.get(local_key)
    if rendered is None:
        rendered = _button_render(request)
        if isinstance(rendered, HttpResponse):
            return rendered
        BUTTON_LOCAL_CACHE.set(local_key, rendered)
    etag, body = rendered
    if _not_modified(request, etag):
        return _cacheable(HttpResponseNotModified(), etag, settings.BUTTON_CACHE_SECONDS)
    return _cacheable(HttpResponse(body), etag, settings.BUTTON_CACHE_SECONDS)


def _button_render(request: HttpRequest) -> tuple[str, str] | HttpResponse:
    """Return (ETag, HTML) of the button the request asks for, or an error response.

    A button for a platform account alone (`platform=<key>&account=<name>`, or the platform's
    own parameter, without uid and url) is drawn with the platform's hook script, which points
    it at the account (flattr.platforms).
    """
    account = button_account(request.GET)
    if account is not None and not request.GET.get("uid") and not request.GET.get("url"):
        uid, url, data = "", "", ButtonData(user_found=True, title=account.label)
        # The same small confirmation window as a thing's (the hook script shows the count).
        confirm_url = reverse("flattr_confirm") + "?" + urlencode(account.query())
    else:
        target = _button_target(request)
        if isinstance(target, HttpResponse):
            return target
        uid, url, data = target
        confirm_url = reverse("flattr_confirm") + "?" + _confirm_query(request, uid, url, data)
    button = "compact" if request.GET.get("button") == "compact" else "large"
    language = getattr(request, "LANGUAGE_CODE", "")
    account_query = account.query() if account else {}
    etag = _etag("button", data.as_cache(), button, confirm_url, language, account_query)
    title = data.title or request.GET.get("title", "")[:TITLE_MAX]
    count_query = urlencode({"uid": uid, "url": url})
    context = {
        "button": button,
        "uid": uid,
        "url": url,
        "count": data.count,
        "title": title,
        "thing_id": data.thing_id,
        "flattrable": data.flattrable,
        "confirm_url": confirm_url,
        "count_url": reverse("button_count") + "?" + count_query,
        "account": account,
        "account_hook": _hook_url(account.platform.button_hook) if account else "",
    }
    return etag, _button_template().render(context, request)


@lru_cache(maxsize=1)
def _button_template():
    """Return the compiled iframe template (loaded once per process)."""
    return get_template("flattr/button.html")


BADGE_LABEL = "flattr"
BADGE_CHAR_WIDTH = 7  # px per character at 11px Verdana, close enough for digits
BADGE_PADDING = 10


def _badge_svg(count: int | None) -> str:
    """Return a shields-style SVG badge: green "flattr", orange count."""
    value = "–" if count is None else f"{count:,}".replace(",", "\u202f")
    left = len(BADGE_LABEL) * 6 + 2 * BADGE_PADDING
    right = max(len(value) * BADGE_CHAR_WIDTH + 2 * BADGE_PADDING, 24)
    width = left + right
    label = f"{BADGE_LABEL}: {value}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{label}"><title>{label}</title>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#3d7a1f"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="#b34f00"/></g>'
        f'<g fill="#fff" text-anchor="middle" '
        f'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{BADGE_LABEL}</text>'
        f'<text x="{left + right / 2}" y="14">{value}</text></g></svg>'
    )


def _badge_response(request: HttpRequest, count: int | None) -> HttpResponse:
    etag = _etag("badge", count)
    if _not_modified(request, etag):
        return _cacheable(HttpResponseNotModified(), etag, settings.BUTTON_CACHE_SECONDS)
    response = HttpResponse(_badge_svg(count), content_type="image/svg+xml; charset=utf-8")
    return _cacheable(response, etag, settings.BUTTON_CACHE_SECONDS)


@require_safe
def badge_by_url(request: HttpRequest) -> HttpResponse:
    """`/button/badge.svg?uid=U&url=URL`: the count as an image, for READMEs and feeds."""
    target = _button_target(request)
    if isinstance(target, HttpResponse):
        return target
    return _badge_response(request, target[2].count)


@require_safe
def badge_by_id(request: HttpRequest, thing_id: int) -> HttpResponse:
    """`/thing/<id>/badge.svg`."""
    found, count = thing_badge_data(thing_id)
    if not found:
        raise Http404("No such thing.")
    return _badge_response(request, count)


def _count_response(request: HttpRequest, thing_id: int | None, count: int) -> HttpResponse:
    etag = _etag("count", thing_id, count)
    if _not_modified(request, etag):
        response = HttpResponseNotModified()
    else:
        response = JsonResponse({"thing": thing_id, "count": count})
    response["Access-Control-Allow-Origin"] = "*"
    return _cacheable(response, etag, settings.BUTTON_CACHE_SECONDS)


@require_safe
def count_by_url(request: HttpRequest) -> HttpResponse:
    """`/button/count.json?uid=U&url=URL` → {"thing": id or null, "count": n}."""
    target = _button_target(request)
    if isinstance(target, HttpResponse):
        return target
    data = target[2]
    return _count_response(request, data.thing_id, data.count)


@require_safe
def count_by_id(request: HttpRequest, thing_id: int) -> HttpResponse:
    """`/thing/<id>/count.json` → {"thing": id, "count": n}."""
    found, count = thing_badge_data(thing_id)
    if not found:
        raise Http404("No such thing.")
    return _count_response(request, thing_id, count)


# ---- The confirmation window -------------------------------------------------------------


def _confirm_account_only(params, account: ButtonAccount | None) -> bool:
    """Return whether a confirmation is about a platform account alone (a button with
    `platform` + `account`, or the platform's own parameter, and no thing nor URL): then the
    account itself is flattred. With a thing, the account is only offered beside it."""
    return account is not None and not params.get("thing") and not params.get("url")


def _confirm_target(request: HttpRequest, params) -> tuple[Thing | None, AutoSubmit | None]:
    """Return (thing, None) for ?thing=<id>, or (existing thing or None, auto-submit)."""
    thing_id = params.get("thing", "")
    if thing_id:
        if not thing_id.isdigit() or len(thing_id) > 18:
            raise Http404("No such thing.")
        thing = Thing.objects.select_related("owner").filter(pk=int(thing_id)).first()
        if thing is None or thing.banned:
            raise Http404("No such thing.")
        return thing, None
    auto = auto_submit_parse(params)
    return auto.thing, auto


def _opener_safe(response: HttpResponse) -> HttpResponse:
    response["Cross-Origin-Opener-Policy"] = CONFIRM_COOP
    return response


@require_http_methods(["GET", "POST"])
def flattr_confirm(request: HttpRequest) -> HttpResponse:
    """The small window a button click opens: say what is flattred, confirm with one POST.

    A thing (`?thing=<id>`), a page not submitted yet (the auto-submit fields), or a platform
    account alone (`?platform=<key>&account=<name>`, `?twitter=<handle>`): the same window, the
    same once-a-month and refusal rules. Logged-out visitors log in right here (allauth's
    login, `next` pointing back). After the POST the window posts the new count to the iframe
    that opened it (which tells the page's other buttons of the same target), then closes.
    """
    params = request.GET  # the form posts back to this same URL, query string included
    account = button_account(params)
    account_only = _confirm_account_only(params, account)
    auto: AutoSubmit | None = None
    try:
        if account_only:
            thing = account.platform.account_thing(account.account)  # our rows only
        else:
            thing, auto = _confirm_target(request, params)
    except FlattrError as error:
        status = 404 if error.code == "not_found" else 400
        response = render(request, "flattr/confirm_invalid.html", {"error": error}, status=status)
        return _opener_safe(response)
    error: FlattrError | None = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return _opener_safe(redirect(_confirm_login_url(thing, auto, account, account_only)))
        try:
            flattr = _confirm_flattr(request.user, thing, auto, account, account_only)
        except FlattrError as refused:
            error = refused
        else:
            if account_only:
                query = {**account.query(), "done": "1"}
            else:
                query = {"thing": flattr.thing_id, "done": "1"}
                query.update(account.query() if account else {})
            return _opener_safe(redirect(reverse("flattr_confirm") + "?" + urlencode(query)))
    context = _confirm_context(request, thing, auto, account, account_only, error)
    return _opener_safe(render(request, "flattr/confirm.html", context))


def _confirm_flattr(user, thing, auto, account, account_only) -> Flattr:
    """Flattr what the confirmation is about (FlattrError on a refusal)."""
    source = Flattr.Source.BUTTON
    if account_only:
        if account.platform.account_flattr is None:
            raise FlattrError("not_found")
        # Asks the platform who holds the account now (cached), as the account page's form.
        return account.platform.account_flattr(donor=user, account=account.account, source=source)
    if thing is not None:
        return flattr_add(donor=user, thing=thing, source=source)
    return flattr_via_auto_submit(
        donor=user, owner=auto.owner, source=source, **auto.thing_kwargs()
    )


def _confirm_url(
    thing: Thing | None,
    auto: AutoSubmit | None,
    account: ButtonAccount | None,
    account_only: bool = False,
) -> str:
    """Return this confirmation's own URL (by account, by thing id, or by the auto-submit
    fields)."""
    if account_only:
        return reverse("flattr_confirm") + "?" + urlencode(account.query())
    query = urlencode({"thing": thing.pk}) if thing is not None else auto.query()
    if account is not None:
        query += "&" + urlencode(account.query())
    return reverse("flattr_confirm") + "?" + query


def _confirm_login_url(
    thing: Thing | None,
    auto: AutoSubmit | None,
    account: ButtonAccount | None,
    account_only: bool = False,
) -> str:
    next_url = _confirm_url(thing, auto, account, account_only)
    return reverse("flattr_confirm_login") + "?" + urlencode({"next": next_url})


def _confirm_context(request, thing, auto, account, account_only, error) -> dict:
    flattr = None
    if thing is not None and request.user.is_authenticated:
        flattr = flattr_of_donor_this_month(donor=request.user, thing=thing)
    if account_only:
        owner = thing.owner if thing else None
        title, url = account.label, thing.url if thing else ""
        description = thing.description if thing else ""
    else:
        owner = thing.owner if thing else auto.owner
        title = thing.title if thing else auto.fields.title
        url = thing.url if thing else auto.fields.url
        description = thing.description if thing else auto.fields.description
    user_id = request.user.pk if request.user.is_authenticated else None
    return {
        "thing": thing,
        "auto": auto,
        "title": title,
        "description": description,
        "owner": owner,
        "url": url,
        "count": thing_flattr_count(thing.pk) if thing else 0,
        "flattr": flattr,
        "done": flattr is not None and request.GET.get("done") == "1",
        "error": error,
        "hidden": bool(thing and (thing.closed or thing.banned)),
        "is_owner": bool(user_id and owner is not None and owner.pk == user_id),
        "account": account,
        "account_only": account_only,
        # Beside a thing, the button's account is offered in this same window.
        "account_url": _confirm_url(None, None, account, True)
        if account and not account_only
        else "",
        "confirm_url": _confirm_url(thing, auto, account, account_only),
        "login_url": _confirm_login_url(thing, auto, account, account_only),
    }


def _confirm_login_view():
    from allauth.account.views import LoginView

    return LoginView.as_view(template_name="flattr/confirm_login.html")


def flattr_confirm_login(request: HttpRequest) -> HttpResponse:
    """allauth's login, in the confirmation window, keeping `window.opener` (see CONFIRM_COOP).

    On success allauth redirects to `next`, the same confirmation.
    """
    response = _confirm_login_view()(request)
    return _opener_safe(response)
