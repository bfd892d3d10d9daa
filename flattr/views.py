"""Site pages of the core app: the dashboard, things, flattring and auto-submit.

Views parse input, call one service or selector and render; refusals (FlattrError) become a
message in plain words. The embeddable button lives in flattr.button_views, the public pages
(home, explore, profiles) in flattr.public_views.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.privacy import supporter_choice_set
from flattr.auto_submit import auto_submit_parse
from flattr.embed import embed_snippets
from flattr.errors import FlattrError
from flattr.forms import SubscriptionForm, ThingForm
from flattr.models import Flattr, Subscription, Thing
from flattr.platforms import (
    platform_list,
    profile_url_page,
    sign_in_origins,
    thing_account_page,
)
from flattr.selectors import (
    donor_month,
    flattr_of_donor_this_month,
    subscription_of_donor,
    subscriptions_for_donor,
    thing_flattr_count,
    thing_get_or_404,
    thing_supporters,
    things_for_owner,
)
from flattr.services import (
    flattr_add,
    flattr_remove,
    flattr_via_auto_submit,
    subscription_cancel,
    subscription_create,
    thing_create,
    thing_hidden_set,
    thing_update,
)

# The money pages, by the URL names the payments app may use (first that exists wins).
PAYMENT_PAGES = {
    "deposit": (("payments:deposit", "payments:deposit_new"), "/payments/add-funds/"),
    "budget": (("payments:budget",), "/payments/budget/"),
    "wallet": (("payments:wallet",), "/payments/wallet/"),
}
DASHBOARD_THINGS = 5


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database answers; used by docker-compose and load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def bench_trivial(request: HttpRequest) -> HttpResponse:
    """A view doing nothing, through the full middleware stack: the benchmark's yardstick.

    Exists only when settings.BENCH_TRIVIAL_VIEW is on (bench_button turns it on).
    """
    if not settings.BENCH_TRIVIAL_VIEW:
        raise Http404
    return HttpResponse("ok", content_type="text/plain")


def _payment_links() -> dict[str, str]:
    """Return the money pages' URLs; the payments app names them payments:<name>."""
    links = {}
    for page, (names, fallback) in PAYMENT_PAGES.items():
        links[page] = fallback
        for name in names:
            try:
                links[page] = reverse(name)
                break
            except NoReverseMatch:
                continue
    return links


def _next_or(request: HttpRequest, default: str) -> str:
    """Return the POSTed `next` if it is a safe local URL, else `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# ---- Dashboard ----------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The donor's month (each flattr with what it is worth now), money, and their things."""
    from payments.selectors import balances_for_user

    month = donor_month(request.user)
    things = list(things_for_owner(request.user)[:DASHBOARD_THINGS])
    context = {
        "month": month,
        "balances": balances_for_user(request.user),
        "subscriptions": subscriptions_for_donor(request.user),
        "things": things,
        "payment_links": _payment_links(),
        "account_platforms": platform_list(),
        # One box per form template: platforms may share one (a picker).
        "account_forms": list(
            dict.fromkeys(p.dashboard_template for p in platform_list() if p.dashboard_template)
        ),
    }
    return render(request, "flattr/dashboard.html", context)


# ---- Things -------------------------------------------------------------------------------


@require_GET
def thing_detail(request: HttpRequest, thing_id: int) -> HttpResponse:
    thing = thing_get_or_404(thing_id, viewer=request.user)
    if thing.owner_id is None:
        # A platform account's thing: its page is the account's (held money, claim button).
        page = thing_account_page(thing)
        if page:
            return redirect(page)
    supporters, others = thing_supporters(thing)
    context = {
        "thing": thing,
        "count": thing_flattr_count(thing.pk),
        "supporters": supporters,
        "other_supporters": others,
        "my_flattr": flattr_of_donor_this_month(donor=request.user, thing=thing),
        "my_subscription": subscription_of_donor(donor=request.user, thing=thing),
        "is_owner": request.user.is_authenticated and thing.owner_id == request.user.pk,
        "subscription_lengths": Subscription.Length.values,
        "payment_link": _payment_link(request, thing),
    }
    return render(request, "flattr/thing_detail.html", context)


def _payment_link(request: HttpRequest, thing: Thing) -> str:
    """Return the auto-submit URL for `<link rel="payment">` on the thing's page."""
    if thing.owner is None or thing.closed:
        return ""
    query = urlencode({"user_id": thing.owner.username, "url": thing.url, "title": thing.title})
    return request.build_absolute_uri(reverse("auto_submit")) + "?" + query


@login_required
@require_http_methods(["GET", "POST"])
def thing_submit(request: HttpRequest) -> HttpResponse:
    form = ThingForm(
        request.POST if request.method == "POST" else None,
        initial={"category": Thing.Category.TEXT},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thing = thing_create(
                owner=request.user,
                url=data["url"],
                title=data["title"],
                description=data["description"],
                category=data["category"],
                tags=data["tags"],
                language=data["language"],
                hidden=data["hidden"],
            )
        except FlattrError as error:
            form.add_flattr_error(error)
        else:
            messages.success(
                request, _("Your thing is ready. Embed its button to start receiving flattrs.")
            )
            return redirect("thing_embed", thing_id=thing.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "flattr/thing_form.html", {"form": form}, status=status)


def _owned_thing_or_404(request: HttpRequest, thing_id: int) -> Thing:
    thing = thing_get_or_404(thing_id, viewer=request.user)
    if thing.owner_id != request.user.pk:
        raise Http404("No such thing.")
    return thing


@login_required
@require_http_methods(["GET", "POST"])
def thing_edit(request: HttpRequest, thing_id: int) -> HttpResponse:
    thing = _owned_thing_or_404(request, thing_id)
    form = ThingForm(
        request.POST if request.method == "POST" else None,
        initial=ThingForm.initial_for(thing),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thing_update(
                thing=thing,
                actor=request.user,
                **{name: data[name] for name in ThingForm.base_fields},
            )
        except FlattrError as error:
            form.add_flattr_error(error)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(thing)
    status = 400 if request.method == "POST" else 200
    return render(request, "flattr/thing_form.html", {"form": form, "thing": thing}, status=status)


@login_required
@require_POST
def thing_hide(request: HttpRequest, thing_id: int) -> HttpResponse:
    """Hide the owner's thing, or show it again (POST hidden=1|0)."""
    thing = _owned_thing_or_404(request, thing_id)
    hidden = request.POST.get("hidden") == "1"
    thing_hidden_set(thing=thing, actor=request.user, hidden=hidden)
    if hidden:
        messages.success(request, _("“%(title)s” is hidden now.") % {"title": thing.title})
    else:
        messages.success(request, _("“%(title)s” is visible again.") % {"title": thing.title})
    return redirect(_next_or(request, reverse("my_things")))


@login_required
@require_GET
def my_things(request: HttpRequest) -> HttpResponse:
    return render(request, "flattr/my_things.html", {"things": things_for_owner(request.user)})


@login_required
@require_GET
def thing_embed(request: HttpRequest, thing_id: int) -> HttpResponse:
    """The publisher's embed page: live previews and snippets to copy."""
    thing = _owned_thing_or_404(request, thing_id)
    site = request.build_absolute_uri("/").rstrip("/")
    context = {
        "thing": thing,
        "snippets": embed_snippets(site=site, thing=thing),
        "button_query": urlencode(
            {"uid": request.user.username, "url": thing.url, "title": thing.title}
        ),
    }
    return render(request, "flattr/thing_embed.html", context)


@require_GET
def embed_docs(request: HttpRequest) -> HttpResponse:
    """How to embed the button, the badge, auto-submit links and <link rel="payment">."""
    return render(
        request,
        "flattr/embed_docs.html",
        {"site": request.build_absolute_uri("/").rstrip("/"), "platforms": platform_list()},
    )


# ---- Flattring ----------------------------------------------------------------------------


@login_required
@require_POST
def thing_flattr(request: HttpRequest, thing_id: int) -> HttpResponse:
    thing = thing_get_or_404(thing_id, viewer=request.user)
    try:
        flattr_add(donor=request.user, thing=thing, source=Flattr.Source.SITE)
    except FlattrError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "You flattred “%(title)s”. It counts on the next payday; "
                "you can remove it until then."
            )
            % {"title": thing.title},
        )
        if not request.user.supporter_asked:
            # The first flattr asks whether to be named as a supporter; unticked means no.
            # A button that did not ask (explore's) records no and says where to change it.
            supporter_choice_set(
                user=request.user, show=request.POST.get("show_as_supporter") == "1"
            )
            if request.POST.get("supporter_asked") != "1":
                messages.info(
                    request,
                    _(
                        "Your name is not shown among the supporters of what you flattr. "
                        "You can change that in your privacy settings."
                    ),
                )
    return redirect(_next_or(request, thing.get_absolute_url()))


@login_required
@require_POST
def flattr_remove_view(request: HttpRequest, flattr_id: int) -> HttpResponse:
    try:
        flattr_remove(donor=request.user, flattr_id=flattr_id)
    except FlattrError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The flattr was removed. It will not count on payday."))
    return redirect(_next_or(request, reverse("dashboard")))


@login_required
@require_POST
def subscription_add(request: HttpRequest, thing_id: int) -> HttpResponse:
    thing = thing_get_or_404(thing_id, viewer=request.user)
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Subscriptions run for 3, 6 or 12 months."))
        return redirect(thing)
    months = form.cleaned_data["months"]
    try:
        subscription_create(donor=request.user, thing=thing, months=months)
    except FlattrError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Subscribed: “%(title)s” is flattred this month and automatically at the start "
                "of each month, %(months)d months in all."
            )
            % {"title": thing.title, "months": months},
        )
    return redirect(thing)


@login_required
@require_POST
def subscription_cancel_view(request: HttpRequest, subscription_id: int) -> HttpResponse:
    try:
        subscription_cancel(donor=request.user, subscription_id=subscription_id)
    except FlattrError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The subscription was cancelled. This month's flattr stays until you remove it."),
        )
    return redirect(_next_or(request, reverse("dashboard")))


# ---- Auto-submit --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def auto_submit(request: HttpRequest) -> HttpResponse:
    """Flattr's `/submit/auto?user_id=…&url=…&title=…`: the thing, or a preview that creates it.

    An existing thing (same owner, same normalized URL) is shown; otherwise a preview offers to
    flattr it, and the first flattr creates it.
    """
    params = request.POST if request.method == "POST" else request.GET
    account_page = profile_url_page(params.get("url", ""))
    if account_page is not None:
        # A platform profile is flattred as that account (by its stable id, with a held pool
        # until the owner claims it), never as a web page owned by whoever wrote the link.
        return redirect(account_page)
    try:
        auto = auto_submit_parse(params)
    except FlattrError as error:
        status = 404 if error.code == "not_found" else 400
        return render(
            request,
            "flattr/auto_submit_invalid.html",
            {"error": error, "docs": reverse("embed_docs")},
            status=status,
        )
    if request.method == "GET" and auto.thing is not None:
        return redirect(auto.thing)
    error = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(reverse("account_login") + "?" + urlencode({"next": auto.url()}))
        try:
            flattr = flattr_via_auto_submit(
                donor=request.user,
                owner=auto.owner,
                source=Flattr.Source.SITE,
                **auto.thing_kwargs(),
            )
        except FlattrError as refused:
            error = refused
        else:
            messages.success(
                request,
                _("You flattred “%(title)s”. It counts on the next payday.")
                % {"title": flattr.thing.title},
            )
            return redirect(flattr.thing)
    return render(request, "flattr/auto_submit.html", {"auto": auto, "error": error})


# ---- Login and sign-up with a platform account ---------------------------------------------


def _sign_in_buttons(view):
    """The login and sign-up pages (allauth's views) with each platform's "Sign in with …"
    button: their forms post to our own start views, which redirect to the platform, and
    browsers apply the page's CSP `form-action` to that redirect, so the platforms' origins
    (and only they) are added."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        origins = sign_in_origins()
        if origins:
            policy = dict(getattr(response, "_csp_config", settings.SECURE_CSP))
            policy["form-action"] = [*policy.get("form-action", []), *origins]
            response._csp_config = policy
        return response

    return wrapped


def login(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    from allauth.account.views import login as allauth_login

    return _sign_in_buttons(allauth_login)(request, *args, **kwargs)


def signup(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    from allauth.account.views import signup as allauth_signup

    return _sign_in_buttons(allauth_signup)(request, *args, **kwargs)
