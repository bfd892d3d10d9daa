"""Pages of twitter_claims: the account page, "waiting to be claimed", flattring a handle, and
the sign-in with Twitter round trip (claim, connect, sign in, opt out).

Views parse input and call one service; errors become a friendly page with a 4xx status
(503 when X is down), never a 500 and never a half-applied change.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode, urlsplit

from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from allauth.account.utils import perform_login
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flattr.errors import FlattrError
from flattr.selectors import thing_flattr_count
from payments.months import month_start
from twitter_claims import selectors, services
from twitter_claims.errors import TwitterError
from twitter_claims.forms import AccountStepForm, HandleForm, OptOutForm, username_suggest
from twitter_claims.models import PlatformAccount
from twitter_claims.x_gateway import HANDLE_RE

# What each refusal looks like over HTTP: the request was fine but the state forbids it (409),
# X is down (503), or the round trip itself was bad (400).
WAITING_PAGE_SIZE = 50
ERROR_STATUS = {
    "already_claimed": 409,
    "user_has_account": 409,
    "linked_elsewhere": 409,
    "x_unavailable": 503,
}


def x_sign_in_form(view):
    """Allow this page's "Sign in with Twitter" form to lead to X.

    The form posts to our own start view, which redirects to X's authorize page; browsers apply
    the page's CSP `form-action` to that redirect too, so X's origin (and only it) is added.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        parts = urlsplit(settings.X_AUTHORIZE_URL or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            policy = dict(getattr(response, "_csp_config", settings.SECURE_CSP))
            origin = f"{parts.scheme}://{parts.netloc}"
            policy["form-action"] = [*policy.get("form-action", []), origin]
            response._csp_config = policy
        return response

    return wrapped


def _error_page(request: HttpRequest, error: FlattrError) -> HttpResponse:
    status = ERROR_STATUS.get(error.code, 400)
    return render(request, "twitter_claims/oauth_error.html", {"error": error}, status=status)


def _tell_url(handle: str, page_url: str) -> str:
    """Return an X "intent" link that drafts a tweet telling @handle where their money waits."""
    text = _("@%(handle)s, people on Flattr are holding money for you:") % {"handle": handle}
    return "https://x.com/intent/tweet?" + urlencode({"text": text, "url": page_url})


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_GET
def waiting(request: HttpRequest) -> HttpResponse:
    """Waiting to be claimed: the largest held pools, each with a link to share."""
    page = Paginator(selectors.waiting_list(limit=None), WAITING_PAGE_SIZE).get_page(
        request.GET.get("page", 1)
    )
    accounts = list(page.object_list)
    for account in accounts:
        account.tell_url = _tell_url(
            account.handle, request.build_absolute_uri(account.get_absolute_url())
        )
    return render(
        request,
        "twitter_claims/waiting.html",
        {
            "accounts": accounts,
            "page": page,
            "totals": selectors.waiting_totals(),
            "hold_days": settings.UNCLAIMED_HOLD_DAYS,
        },
    )


@require_GET
def account_at(request: HttpRequest, handle: str) -> HttpResponse:
    """`/twitter/@alice/` → `/twitter/alice/`."""
    return redirect("twitter_claims:account", handle=handle)


@require_GET
@x_sign_in_form
def account_page(request: HttpRequest, handle: str) -> HttpResponse:
    """The public page of a Twitter/X account: what is held, from how many donors, when the
    oldest share returns, and the buttons to flattr it and to claim it."""
    if not HANDLE_RE.match(handle):
        raise Http404
    account = selectors.account_for_handle(handle)
    if account is not None and account.handle != handle:
        return redirect("twitter_claims:account", handle=account.handle)
    pending = selectors.pending_handle_for(handle) if account is None else None
    holder = account or pending
    summary = (
        selectors.pool_summary(pool_id=holder.pool_id, thing_id=holder.thing_id, donor=request.user)
        if holder
        else None
    )
    shown = account.handle if account else handle
    share_url = request.build_absolute_uri(
        reverse("twitter_claims:account", kwargs={"handle": shown})
    )
    own = account is not None and account.claimed_by_id == getattr(request.user, "pk", None)
    response = render(
        request,
        "twitter_claims/account.html",
        {
            "handle": shown,
            "account": account,
            "pending": pending,
            "summary": summary,
            # A donor who flattred the account this month sees that, not a second offer.
            "flattred_month": month_start() if summary and summary.donor_flattred else None,
            "next_payday": selectors.next_payday(),
            "share_url": share_url,
            "tell_url": _tell_url(shown, share_url),
            "can_flattr": not own and not (account and account.flattrs_opted_out),
            "hold_days": settings.UNCLAIMED_HOLD_DAYS,
            "bind_hours": settings.TWITTER_HANDLE_BIND_HOURS,
        },
    )
    if request.GET.get("from") == "button":
        # Opened by a button iframe on another site: keep `window.opener`, so the button sees
        # when this window closes and refreshes its count (as the flattr confirmation does).
        response["Cross-Origin-Opener-Policy"] = "unsafe-none"
    return response


@require_GET
def account_count(request: HttpRequest, handle: str) -> JsonResponse:
    """`/twitter/<handle>/count.json` → {"handle", "count"}: for the button hook. Never asks X;
    cacheable like the other button counts."""
    account = selectors.account_for_handle(handle)
    count = thing_flattr_count(account.thing_id) if account else 0
    response = JsonResponse({"handle": account.handle if account else handle, "count": count})
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=settings.BUTTON_CACHE_SECONDS)
    return response


@require_POST
@login_required
def flattr_handle(request: HttpRequest) -> HttpResponse:
    """Flattr a Twitter/X account by handle (the dashboard form, the account page)."""
    form = HandleForm(request.POST)
    fallback = reverse("twitter_claims:waiting")
    if not form.is_valid():
        for error in form.errors.get("handle", []):
            messages.error(request, error)
        return redirect(_safe_next(request, fallback))
    handle = form.cleaned_data["handle"]
    try:
        flattr = services.twitter_flattr_add(donor=request.user, handle=handle, source="site")
    except FlattrError as error:
        messages.error(request, error.message)
        return redirect(_safe_next(request, fallback))
    account = getattr(flattr.thing, "platform_account", None)
    shown = account.handle if account else handle
    messages.success(
        request,
        _(
            "You flattred @%(handle)s. On payday your budget is split across everything you "
            "flattred this month; until then you can remove it."
        )
        % {"handle": shown},
    )
    return redirect(_safe_next(request, reverse("twitter_claims:account", args=[shown])))


@never_cache
@require_POST
@x_sign_in_form
def oauth_start(request: HttpRequest) -> HttpResponse:
    """Send the browser to X to sign in (POST, so no third party can start it for someone)."""
    purpose = request.POST.get("purpose", "")
    if purpose not in services.OAUTH_PURPOSES:
        return _error_page(request, TwitterError("oauth_state"))
    extra = {}
    if purpose == "optout":
        form = OptOutForm(request.POST)
        if not form.is_valid():
            return render(request, "twitter_claims/opt_out.html", {"form": form}, status=400)
        extra["choice"] = form.cleaned_data["choice"]
    elif purpose == "connect" and not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?next={reverse('twitter_claims:connected')}")
    try:
        url = services.oauth_begin(session=request.session, purpose=purpose, extra=extra)
    except TwitterError as error:
        return _error_page(request, error)
    return HttpResponseRedirect(url)


@never_cache
@require_GET
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """X sends the browser back here with `code` and `state` (or `error`).

    Who signed in decides what happens: an X account linked to a Flattr user logs that user in
    (and no other); a signed-in user claims or connects it; a new visitor goes to the short
    account step; an opt-out records the owner's choice.
    """
    try:
        x_user, flow = services.oauth_complete(session=request.session, params=request.GET)
    except TwitterError as error:
        return _error_page(request, error)
    if flow.get("purpose") == "optout":
        try:
            account = services.account_opt_out(x_user=x_user, choice=flow.get("choice", ""))
        except FlattrError as error:
            return _error_page(request, error)
        return render(request, "twitter_claims/opt_out_done.html", {"account": account})
    linked = (
        PlatformAccount.objects.filter(
            provider=PlatformAccount.Provider.TWITTER,
            user_id=x_user.id,
            claimed_by__isnull=False,
        )
        .select_related("claimed_by")
        .first()
    )
    if request.user.is_authenticated:
        if linked is not None and linked.claimed_by_id != request.user.pk:
            return _error_page(request, TwitterError("linked_elsewhere"))
        if linked is not None:
            messages.info(
                request, _("@%(handle)s is connected already.") % {"handle": x_user.username}
            )
            return redirect("twitter_claims:connected")
        return _claim_for(request, x_user)
    if linked is not None:
        return perform_login(
            request,
            linked.claimed_by,
            email_verification=allauth_settings.EmailVerificationMethod.OPTIONAL,
            redirect_url=reverse("dashboard"),
        )
    services.identity_remember(session=request.session, x_user=x_user)
    return redirect("twitter_claims:finish")


def _claim_for(request: HttpRequest, x_user) -> HttpResponse:
    try:
        account = services.account_for_x_user(x_user=x_user)
        services.pool_claim(account_id=account.pk, user=request.user)
    except FlattrError as error:
        return _error_page(request, error)
    services.identity_forget(session=request.session)
    return redirect("twitter_claims:welcome")


@never_cache
@require_http_methods(["GET", "POST"])
def finish(request: HttpRequest) -> HttpResponse:
    """The one short step after signing in with Twitter: create a Flattr account (username and
    an email to verify), or connect the X account to the Flattr account logged in now."""
    x_user = services.identity_recall(session=request.session)
    if x_user is None:
        return _error_page(request, TwitterError("oauth_state"))
    if request.user.is_authenticated:
        if request.method == "POST":
            return _claim_for(request, x_user)
        return render(request, "twitter_claims/finish_connect.html", {"x_user": x_user})
    form = AccountStepForm(
        request.POST or None, initial={"username": username_suggest(x_user.username)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user, _result = services.account_create_with_twitter(
                x_user=x_user,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                language=get_language() or "",
            )
        except FlattrError as error:
            return _error_page(request, error)
        except IntegrityError:
            form.add_error("username", _("This username was just taken. Please pick another."))
        else:
            services.identity_forget(session=request.session)
            return perform_login(
                request,
                user,
                email_verification=allauth_settings.EmailVerificationMethod.OPTIONAL,
                signup=True,
                email=user.email,
                redirect_url=reverse("twitter_claims:welcome"),
            )
    return render(
        request, "twitter_claims/finish.html", {"form": form, "x_user": x_user}, status=200
    )


@never_cache
@login_required
@require_GET
def welcome(request: HttpRequest) -> HttpResponse:
    """After a claim: what was credited, where it is, and what happens from now on."""
    account = selectors.account_linked_to(request.user)
    if account is None:
        return redirect("twitter_claims:connected")
    return render(
        request,
        "twitter_claims/welcome.html",
        {
            "account": account,
            "summary": selectors.claim_summary(account),
            "hold_days": settings.UNCLAIMED_HOLD_DAYS,
            "email_verified": EmailAddress.objects.filter(
                user=request.user, verified=True
            ).exists(),
        },
    )


@login_required
@require_GET
@x_sign_in_form
def connected(request: HttpRequest) -> HttpResponse:
    """Settings → Twitter/X: the connected account, or a button to connect one."""
    account = selectors.account_linked_to(request.user)
    return render(
        request,
        "twitter_claims/connected.html",
        {
            "account": account,
            "summary": selectors.claim_summary(account) if account else None,
        },
    )


@require_GET
@x_sign_in_form
def opt_out(request: HttpRequest) -> HttpResponse:
    """The owner's opt-out page: choose, then prove it is you by signing in with Twitter."""
    return render(request, "twitter_claims/opt_out.html", {"form": OptOutForm()})
