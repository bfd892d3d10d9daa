"""Flattr's old addresses that old pages still carry, and the migration page for site owners.

The button itself (the iframe, the loader) lives in flattr.button_views; here are what only old
markup uses: the 2010 script-variable button (`/api/flattr.js`), the static PNG images at their
old paths, Flattr's own thing links (explained, never sent to our thing of that number), the 2016
profile address (`/@username`), and `/migrate/`, which says what to search
and replace and checks a pasted page (flattr.legacy_markup).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from flattr.button_views import loader_script
from flattr.legacy_markup import PAGE_MAX_CHARS, page_check

STATIC_JS = settings.BASE_DIR / "static" / "js"
LEGACY_IMAGES = settings.BASE_DIR / "static" / "legacy"
SCRIPT_CACHE_SECONDS = 24 * 3600
# The images never change at a given path (bin/build_legacy_badges.py makes them), so browsers
# and proxies may keep them a year; a new design would be a deliberate, visible break anyway.
IMAGE_CACHE_SECONDS = 365 * 24 * 3600
IMAGE_NAMES = frozenset(
    {"flattr-badge-large.png", "button-static-50x60.png", "button-compact-static-100x17.png"}
)


def _etag(body: bytes) -> str:
    return quote_etag(hashlib.blake2b(body, digest_size=12).hexdigest())


def _cached_response(request: HttpRequest, body: bytes, content_type: str, seconds: int):
    etag = _etag(body)
    header = request.headers.get("If-None-Match", "")
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
    if etag in candidates or "*" in candidates:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=seconds)
    return response


@lru_cache(maxsize=1)
def _vars_script_cached() -> bytes:
    return loader_script() + b"\n" + (STATIC_JS / "flattr_vars.js").read_bytes()


def _vars_script() -> bytes:
    if settings.DEBUG:
        _vars_script_cached.cache_clear()
    return _vars_script_cached()


@require_safe
def vars_script(request: HttpRequest) -> HttpResponse:
    """`/api/flattr.js`: the 2010 button described by `flattr_uid`, `flattr_tle`… variables.

    The loader and the variable reader in one file, so the button appears where the script tag
    stands (flattr_vars.js) and any FlattrButton anchors on the page are drawn too.
    """
    response = _cached_response(
        request, _vars_script(), "text/javascript; charset=utf-8", SCRIPT_CACHE_SECONDS
    )
    patch_cache_control(response, stale_while_revalidate=SCRIPT_CACHE_SECONDS)
    return response


@lru_cache(maxsize=len(IMAGE_NAMES))
def _image(name: str) -> bytes:
    return (LEGACY_IMAGES / name).read_bytes()


@require_safe
def legacy_image(request: HttpRequest, name: str) -> HttpResponse:
    """Flattr's static button images at their old paths (`/button/<name>` and `/<name>`)."""
    if name not in IMAGE_NAMES:
        raise Http404("No such image.")
    return _cached_response(request, _image(name), "image/png", IMAGE_CACHE_SECONDS)


@require_safe
def old_thing_link(request: HttpRequest, thing_id: int, slug: str = "") -> HttpResponse:
    """`/thing/1234/Some-title` and `/thing/1234` (no slash): Flattr's own thing pages.

    Their numbers were Flattr's; our thing 1234 is another thing, so the link is explained
    (404) instead of redirected to it. Our pages are `/thing/<id>/`, always with the slash.
    """
    context = {"explore_url": reverse("explore"), "migrate_url": reverse("migrate")}
    return render(request, "flattr/old_thing_link.html", context, status=404)


@require_safe
def profile_at(request: HttpRequest, username: str) -> HttpResponse:
    """`/@username`, Flattr's profile address from 2016 on: our profile page."""
    return redirect("profile", username=username)


@require_http_methods(["GET", "POST"])
def migrate(request: HttpRequest) -> HttpResponse:
    """What a site owner searches and replaces, what works, and a checker for a pasted page.

    The page is pasted, never fetched: the server requests no address a visitor types in.
    """
    site = request.build_absolute_uri("/").rstrip("/")
    host = request.get_host()
    html = request.POST.get("html", "") if request.method == "POST" else ""
    report = None
    error = ""
    status = 200
    if request.method == "POST":
        if not html.strip():
            error = _("Paste the HTML of one of your pages (or a README) to check it.")
            status = 400
        elif len(html) > PAGE_MAX_CHARS:
            error = _("That is more than %(max)d characters; paste one page at a time.") % {
                "max": PAGE_MAX_CHARS
            }
            status = 400
        else:
            report = page_check(html=html, our_host=host)
    context = {"site": site, "host": host, "html": html, "report": report, "error": error}
    return render(request, "flattr/migrate.html", context, status=status)
