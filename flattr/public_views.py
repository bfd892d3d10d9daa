"""Pages of the public site: home, explore, search, tag pages, profiles, the sitemap; and the
account pages that need every layer: "your data" and closing an account.

Profiles live at `/<username>/` (the REST API's user `link` points there); the path is mounted
last, so every other top-level path wins, and usernames that would clash are refused at sign-up
(settings.ACCOUNT_USERNAME_BLACKLIST).
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flattr.closing import account_close
from flattr.data_export import (
    data_export_for_download,
    data_export_request,
    data_exports_recent,
)
from flattr.explore import (
    ExploreFilters,
    Sort,
    flattred_this_month,
    live_figures,
    profile_giving,
    profile_supporters,
    profile_things,
    sitemap_entries,
    tags_popular,
    things_explore,
)
from flattr.languages import language_choices
from flattr.models import Thing
from flattr.selectors import month_start
from payments.closing import EarningsChoice, FundsChoice, closing_plan
from payments.errors import PaymentError
from payments.months import month_add

# The worked example on the home page, in cents: a budget split over this many flattrs.
EXAMPLE_BUDGET_CENTS = 1000
EXAMPLE_FLATTRS = 7
USERNAME_MAX = 150  # Django's username length


def home(request: HttpRequest) -> HttpResponse:
    from payments.split import split_budget

    split = split_budget(
        budget_cents=EXAMPLE_BUDGET_CENTS,
        spendable_cents=EXAMPLE_BUDGET_CENTS,
        n=EXAMPLE_FLATTRS,
        fee_bps=settings.FEE_BPS,
    )
    given = split.taken_cents - split.fee_cents
    base, extra = divmod(given, EXAMPLE_FLATTRS)
    context = {
        "figures": live_figures(),
        "example": {
            "budget": EXAMPLE_BUDGET_CENTS,
            "n": EXAMPLE_FLATTRS,
            "fee": split.fee_cents,
            "given": given,
            "base": base,
            "extra": extra,
            "more": base + 1,
            "rest": EXAMPLE_FLATTRS - extra,
        },
        "hold_days": settings.UNCLAIMED_HOLD_DAYS,
        "charity_name": settings.CHARITY_NAME,
    }
    return render(request, "flattr/home.html", context)


def _explore_page(request: HttpRequest, filters: ExploreFilters, *, heading: str) -> HttpResponse:
    page = things_explore(filters, page=request.GET.get("page", 1))
    things = list(page.object_list)
    keep = {
        k: v
        for k, v in (
            ("q", filters.query),
            ("category", filters.category),
            ("language", filters.language),
            ("sort", filters.sort),
        )
        if v
    }
    return render(
        request,
        "flattr/explore.html",
        {
            "page": page,
            "things": things,
            "flattred": flattred_this_month(donor=request.user, thing_ids=[t.pk for t in things]),
            "filters": filters,
            "heading": heading,
            "categories": Thing.Category.choices,
            "languages": language_choices(),
            "sorts": [
                (Sort.POPULAR, _("Popular this month")),
                (Sort.NEW, _("New this month")),
                *([(Sort.RELEVANCE, _("Best match"))] if filters.query else []),
            ],
            "page_query": urlencode(keep),
            "tags": tags_popular() if not filters.query and not filters.tag else [],
        },
    )


@require_GET
def explore(request: HttpRequest) -> HttpResponse:
    filters = ExploreFilters.parse(request.GET)
    if filters.query:
        heading = _("Search results for “%(query)s”") % {"query": filters.query}
    else:
        heading = _("Explore")
    return _explore_page(request, filters, heading=heading)


@require_GET
def explore_tag(request: HttpRequest, tag: str) -> HttpResponse:
    filters = ExploreFilters.parse(request.GET, tag=tag)
    if not filters.tag:
        raise Http404("No such tag.")
    return _explore_page(request, filters, heading=_("Tagged “%(tag)s”") % {"tag": filters.tag})


# ---- Profiles --------------------------------------------------------------------------


@require_GET
def profile(request: HttpRequest, username: str) -> HttpResponse:
    from accounts.selectors import user_get_public_or_404

    if len(username) > USERNAME_MAX or not username.isprintable():
        raise Http404("No such user.")  # PostgreSQL refuses NUL; no username is that long
    person = user_get_public_or_404(username=username)
    is_self = request.user.is_authenticated and request.user.pk == person.pk
    last_month = month_add(month_start(), -1)
    things = profile_things(person, page=request.GET.get("page", 1))
    context = {
        "profile": person,
        "is_self": is_self,
        "things_page": things if person.show_receiving or is_self else None,
        "giving": profile_giving(person, month=last_month)
        if person.show_giving or is_self
        else None,
        "last_month": last_month,
        "supporters": profile_supporters(person) if person.show_supporters or is_self else None,
        "snippets": profile_snippets(site=request.build_absolute_uri("/").rstrip("/"), user=person),
        "noindex": person.profile_noindex,
    }
    return render(request, "flattr/profile.html", context)


def profile_snippets(*, site: str, user) -> list[tuple[str, str]]:
    """Return (label, code) of the profile's own button and badge: they flattr the person
    (their profile page as a thing in the category "people", created on the first flattr)."""
    page = site + reverse("profile", kwargs={"username": user.username})
    query = urlencode({"uid": user.username, "url": page})
    badge = f"{site}{reverse('button_badge')}?{query}"
    text = escape(_("Flattr %(name)s") % {"name": user.public_name})
    anchor = (
        f'<a class="FlattrButton" href="{escape(page)}" data-flattr-uid="{escape(user.username)}"'
        f' data-flattr-url="{escape(page)}" data-flattr-category="people">{text}</a>\n'
        f'<script src="{escape(site)}/js/load.js" async></script>'
    )
    return [
        (_("Profile button"), anchor),
        (
            _("Profile badge (no script)"),
            f'<a href="{escape(page)}"><img src="{escape(badge)}" alt="{text}"></a>',
        ),
    ]


def profile_legacy(request: HttpRequest, username: str) -> HttpResponse:
    """`/profile/<username>/`, where profiles used to be, now redirect to `/<username>/`."""
    if not username.isprintable():
        raise Http404("No such user.")
    return redirect("profile", username=username, permanent=True)


# ---- Sitemap, favicon ------------------------------------------------------------------


@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    things, users = sitemap_entries()
    site = request.build_absolute_uri("/").rstrip("/")
    return render(
        request,
        "flattr/sitemap.xml",
        {"things": things, "users": users, "site": site},
        content_type="application/xml",
    )


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; send them to the SVG icon."""
    return redirect(static("img/favicon.svg"), permanent=True)


# ---- Your data -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def data_export(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        data_export_request(user=request.user)
        messages.success(
            request,
            _("We are putting your data together and will email you a link when it is ready."),
        )
        return redirect("data_export")
    return render(
        request, "flattr/data_export.html", {"exports": data_exports_recent(request.user)}
    )


@login_required
@require_GET
def data_export_download(request: HttpRequest, token: str) -> HttpResponse:
    if not token.isprintable():
        raise Http404("No such export.")
    export = data_export_for_download(user=request.user, token=token[:64])
    if export is None:
        raise Http404("No such export.")
    response = HttpResponse(bytes(export.content), content_type="application/zip")
    name = f"flattr-data-{export.created_at:%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---- Closing -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def close_account(request: HttpRequest) -> HttpResponse:
    plan = closing_plan(request.user)
    context = {
        "plan": plan,
        "grace_days": settings.CLOSING_GRACE_DAYS,
        "charity_name": settings.CHARITY_NAME,
        "funds_choice": request.POST.get("funds", FundsChoice.REFUND),
    }
    return render(request, "flattr/close_account.html", context)


@login_required
@require_POST
def close_account_confirm(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you want to close your account."))
        return redirect("account_close")
    try:
        account_close(
            user=request.user,
            funds_choice=request.POST.get("funds", ""),
            earnings_choice=request.POST.get("earnings", EarningsChoice.FORFEIT),
        )
    except PaymentError as error:
        messages.error(request, error.message)
        return redirect("account_close")
    logout(request)
    messages.success(
        request,
        _(
            "Your account is closed. Your money was settled as you chose; your personal data "
            "is erased in %(days)d days."
        )
        % {"days": settings.CLOSING_GRACE_DAYS},
    )
    return redirect(reverse("home"))
