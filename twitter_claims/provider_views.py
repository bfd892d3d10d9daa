"""Pages of the providers other than X (GitHub …), mounted at /<provider>/: the account page,
flattring an account by name or profile URL, and the sign-in round trip that claims it.

X keeps its own pages under /twitter/ (twitter_claims.views). Views parse input and call one
service; errors become a friendly page with a 4xx status (503 when the provider is down).
"""

from __future__ import annotations

import logging
from functools import wraps
from urllib.parse import urlencode

from allauth.account import app_settings as allauth_settings
from allauth.account.utils import perform_login
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from kombu.exceptions import OperationalError as BrokerUnreachable

from flattr.errors import FlattrError
from flattr.selectors import thing_flattr_count
from payments.months import month_start
from twitter_claims import selectors
from twitter_claims.errors import TwitterError
from twitter_claims.models import PlatformAccount
from twitter_claims.providers import USER_ID_RE, Provider, provider_find, provider_list
from twitter_claims.services import claims, oauth
from twitter_claims.services.accounts import account_flattr_add, account_for_provider_user
from twitter_claims.views import ERROR_STATUS

ERROR_STATUS = {
    **ERROR_STATUS,
    "provider_unavailable": 503,
    "provider_user_has_account": 409,
    "not_manager": 403,
}

logger = logging.getLogger(__name__)


def _provider(key: str) -> Provider:
    provider = provider_find(key)
    if provider is None or provider.key == "twitter":
        raise Http404("No such platform.")
    return provider


def sign_in_form(view):
    """Allow this page's sign-in form to lead to the provider's authorize page (CSP
    `form-action` applies to the redirect our start view answers with)."""

    @wraps(view)
    def wrapped(request: HttpRequest, provider: str, *args, **kwargs) -> HttpResponse:
        response = view(request, provider, *args, **kwargs)
        found = provider_find(provider)
        domain = found.domain if found else ""
        if found and not domain:  # per instance: the account's, or the one being signed in to
            parsed = found.account_parse(kwargs.get("account", ""))
            raw = request.POST.get("domain", "") or request.GET.get("domain", "")
            raw = raw[:253].strip().removeprefix("https://").strip("/@")
            if not parsed and raw:
                parsed = found.account_parse("x@" + raw)
            domain = parsed[1] if parsed else ""
        origin = found.oauth_origin(domain) if found and domain else ""
        if origin:
            policy = dict(getattr(response, "_csp_config", settings.SECURE_CSP))
            policy["form-action"] = [*policy.get("form-action", []), origin]
            response._csp_config = policy
        return response

    return wrapped


def _error_page(request: HttpRequest, provider: Provider, error: FlattrError) -> HttpResponse:
    status = ERROR_STATUS.get(error.code, 400)
    context = {"error": error, "provider": provider}
    return render(request, "twitter_claims/provider_error.html", context, status=status)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _parsed_or_404(provider: Provider, account: str) -> tuple[str, str]:
    parsed = provider.account_parse(account) if len(account) <= 200 else None
    if parsed is None:
        raise Http404("No such account.")
    return parsed


@require_GET
@sign_in_form
def account_page(request: HttpRequest, provider: str, account: str) -> HttpResponse:
    """The public page of an account: what is held, for how many donors, when the oldest share
    returns, and the buttons to flattr it and to claim it. Never asks the provider."""
    found = _provider(provider)
    handle, domain = _parsed_or_404(found, account)
    record = selectors.account_on(provider=found.key, domain=domain, handle=handle)
    if record is not None and record.handle != handle:
        return redirect(record.get_absolute_url())
    summary = (
        selectors.pool_summary(pool_id=record.pool_id, thing_id=record.thing_id, donor=request.user)
        if record
        else None
    )
    pending = (
        selectors.pending_handle_for(handle, provider=found.key, domain=domain)
        if record is None
        else None
    )
    own = record is not None and record.claimed_by_id == getattr(request.user, "pk", None)
    response = render(
        request,
        "twitter_claims/provider_account.html",
        {
            "pending": pending,
            "bind_hours": settings.TWITTER_HANDLE_BIND_HOURS,
            "provider": found,
            "account": record,
            "label": found.account_label(handle, domain),
            "account_key": found.account_key(handle, domain),
            "summary": summary,
            # A donor who flattred the account this month sees that, not a second offer.
            "flattred_month": month_start() if summary and summary.donor_flattred else None,
            "next_payday": selectors.next_payday(),
            "can_flattr": not own and not (record and record.flattrs_opted_out),
            "hold_days": settings.UNCLAIMED_HOLD_DAYS,
        },
    )
    if request.GET.get("from") == "button":
        response["Cross-Origin-Opener-Policy"] = "unsafe-none"  # the button sees it close
    return response


@require_GET
def account_count(request: HttpRequest, provider: str, account: str) -> JsonResponse:
    """`/<provider>/<account>/count.json` → {"account", "count"}: for the button hook."""
    found = _provider(provider)
    handle, domain = _parsed_or_404(found, account)
    record = selectors.account_on(provider=found.key, domain=domain, handle=handle)
    count = thing_flattr_count(record.thing_id) if record else 0
    response = JsonResponse({"account": found.account_key(handle, domain), "count": count})
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=settings.BUTTON_CACHE_SECONDS)
    return response


@require_POST
@login_required
def account_flattr(request: HttpRequest, provider: str) -> HttpResponse:
    """Flattr an account by name or profile URL (the dashboard form, the account page)."""
    found = _provider(provider)
    raw = request.POST.get("account", "")
    fallback = reverse("dashboard")
    try:
        flattr = account_flattr_add(donor=request.user, provider=found, raw=raw[:300])
    except FlattrError as error:
        messages.error(request, error.message)
        return redirect(_safe_next(request, fallback))
    record = getattr(flattr.thing, "platform_account", None)
    if record is None:  # kept pending: the provider could not confirm the account yet
        messages.success(
            request,
            _(
                "You flattred %(account)s. %(provider)s is not answering right now, so we "
                "will confirm the account soon; until payday you can remove the flattr."
            )
            % {"account": flattr.thing.title, "provider": found.name},
        )
        return redirect(_safe_next(request, fallback))
    messages.success(
        request,
        _(
            "You flattred %(account)s. On payday your budget is split across everything you "
            "flattred this month; until then you can remove it."
        )
        % {"account": record.label},
    )
    return redirect(_safe_next(request, record.get_absolute_url()))


@never_cache
@require_POST
@sign_in_form
def oauth_start(request: HttpRequest, provider: str) -> HttpResponse:
    """Send the browser to the provider to sign in (POST, so no third party can start it)."""
    found = _provider(provider)
    purpose = request.POST.get("purpose", "")
    if purpose not in ("claim", "login"):
        return _error_page(request, found, TwitterError("oauth_state"))
    domain = found.domain
    if not domain:  # per instance (Mastodon): the claim form names it
        parsed = found.account_parse("x@" + request.POST.get("domain", "")[:253])
        if parsed is None:
            return _error_page(request, found, TwitterError("invalid_account", provider=found.name))
        domain = parsed[1]
    target = request.POST.get("target", "")  # the account to claim (Facebook: the page id)
    extra = {"target": target} if USER_ID_RE.match(target) else {}
    try:
        url = oauth.oauth_begin(
            session=request.session, purpose=purpose, provider=found, domain=domain, extra=extra
        )
    except TwitterError as error:
        return _error_page(request, found, error)
    return HttpResponseRedirect(url)


@never_cache
@require_GET
def oauth_callback(request: HttpRequest, provider: str) -> HttpResponse:
    """The provider sends the browser back here. A linked account signs its user in (and no
    other); a signed-in user claims it; anyone else logs in or signs up first, then claims."""
    found = _provider(provider)
    try:
        user, flow = oauth.oauth_complete(
            session=request.session, params=request.GET, provider=found
        )
    except TwitterError as error:
        return _error_page(request, found, error)
    domain = flow.get("domain") or found.domain
    if "accounts" in flow:  # signed in without naming an account (Facebook: your pages)
        return _sign_in_with_any(request, found, domain, flow["accounts"])
    linked = (
        PlatformAccount.objects.filter(
            provider=found.key, domain=domain, user_id=user.id, claimed_by__isnull=False
        )
        .select_related("claimed_by")
        .first()
    )
    if request.user.is_authenticated:
        if linked is not None and linked.claimed_by_id != request.user.pk:
            return _error_page(request, found, TwitterError("already_claimed", provider=found.name))
        return _claim_for(request, found, domain, user)
    if linked is not None:
        return perform_login(
            request,
            linked.claimed_by,
            email_verification=allauth_settings.EmailVerificationMethod.OPTIONAL,
            redirect_url=reverse("dashboard"),
        )
    oauth.identity_remember(session=request.session, x_user=user, provider=found.key, domain=domain)
    finish = reverse("platform_finish", kwargs={"provider": found.key})
    messages.info(request, _("Log in or sign up to Flattr; then we claim the account for you."))
    return redirect(reverse("account_login") + "?" + urlencode({"next": finish}))


def _sign_in_with_any(
    request: HttpRequest, provider: Provider, domain: str, ids: list[str]
) -> HttpResponse:
    """Log in the one Flattr user linked to any of the accounts the person controls. None
    linked: back to the login page, saying how to connect one (nothing is claimed: which page
    to claim is chosen on the page's own page)."""
    owners = set(
        PlatformAccount.objects.filter(
            provider=provider.key, domain=domain, user_id__in=ids, claimed_by__isnull=False
        ).values_list("claimed_by_id", flat=True)
    )
    if len(owners) > 1:
        error = TwitterError("signin_ambiguous", provider=provider.name)
        return _error_page(request, provider, error)
    if request.user.is_authenticated and owners != {request.user.pk}:
        return redirect("dashboard")  # signed in already; nothing to do
    if owners:
        from django.contrib.auth import get_user_model

        return perform_login(
            request,
            get_user_model().objects.get(pk=owners.pop()),
            email_verification=allauth_settings.EmailVerificationMethod.OPTIONAL,
            redirect_url=reverse("dashboard"),
        )
    messages.info(
        request,
        _(
            "No Flattr account is connected to a %(provider)s page you manage yet. Log in or "
            "sign up, then claim your page from its page on Flattr."
        )
        % {"provider": provider.name},
    )
    return redirect("account_login")


@never_cache
@require_GET
@sign_in_form
def sign_in(request: HttpRequest, provider: str) -> HttpResponse:
    """The login page's "Sign in with Mastodon" asks for the instance first (its origin must be
    known to the page whose form leads there); this page then offers the button to it."""
    found = _provider(provider)
    domain = found.domain
    if not domain:
        raw = request.GET.get("domain", "")[:253].strip().removeprefix("https://")
        parsed = found.account_parse("x@" + raw.strip("/@")) if raw else None
        if parsed is None:
            error = TwitterError("invalid_instance", provider=found.name)
            return _error_page(request, found, error)
        domain = parsed[1]
    # Also the connected-accounts page's "Connect Mastodon" (purpose claim, signed in only).
    purpose = "claim" if request.GET.get("purpose") == "claim" else "login"
    if purpose == "claim" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    context = {"provider": found, "domain": domain, "purpose": purpose}
    return render(request, "twitter_claims/provider_sign_in.html", context)


def _claim_for(request: HttpRequest, provider: Provider, domain: str, user) -> HttpResponse:
    try:
        record = account_for_provider_user(provider=provider, domain=domain, user=user)
        claims.pool_claim(account_id=record.pk, user=request.user)
    except FlattrError as error:
        return _error_page(request, provider, error)
    oauth.identity_forget(session=request.session)
    return redirect("platform_welcome", provider=provider.key)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def finish(request: HttpRequest, provider: str) -> HttpResponse:
    """After logging in: claim the account proven in this session a few minutes ago."""
    found = _provider(provider)
    user = oauth.identity_recall(session=request.session, provider=found.key)
    if user is None:
        return _error_page(request, found, TwitterError("oauth_state"))
    domain = oauth.identity_domain(session=request.session) or found.domain
    return _claim_for(request, found, domain, user)


@never_cache
@login_required
@require_GET
def welcome(request: HttpRequest, provider: str) -> HttpResponse:
    """After a claim: what was credited, and what happens from now on."""
    found = _provider(provider)
    record = selectors.accounts_linked_to(request.user).filter(provider=found.key).first()
    if record is None:
        return redirect("dashboard")
    context = {
        "provider": found,
        "account": record,
        "summary": selectors.claim_summary(record),
        "hold_days": settings.UNCLAIMED_HOLD_DAYS,
    }
    return render(request, "twitter_claims/provider_welcome.html", context)


@require_POST
@login_required
def account_flattr_any(request: HttpRequest) -> HttpResponse:
    """The dashboard's box: an account name with a platform picked, or any supported profile
    URL (the URL decides the platform)."""
    from twitter_claims.services import twitter_flattr_add

    raw = request.POST.get("account", "")[:300].strip()
    found = next((p for p in provider_list() if p.profile_url_parse(raw)), None)
    found = found or provider_find(request.POST.get("provider", ""))
    fallback = reverse("dashboard")
    if found is None:
        messages.error(request, _("Pick a platform, or paste the address of a profile."))
        return redirect(_safe_next(request, fallback))
    try:
        if found.key == "twitter":
            flattr = twitter_flattr_add(donor=request.user, handle=raw)
        else:
            flattr = account_flattr_add(donor=request.user, provider=found, raw=raw)
    except FlattrError as error:
        messages.error(request, error.message)
        return redirect(_safe_next(request, fallback))
    record = getattr(flattr.thing, "platform_account", None)
    label = record.label if record else flattr.thing.title
    messages.success(
        request,
        _(
            "You flattred %(account)s. On payday your budget is split across everything you "
            "flattred this month; until then you can remove it."
        )
        % {"account": label},
    )
    return redirect(_safe_next(request, fallback))


@require_POST
@login_required
def proof_start(request: HttpRequest, provider: str) -> HttpResponse:
    """Claim without the platform's sign-in: give the user a one-time code for the account."""
    from twitter_claims.services.proofs import proof_code_issue

    found = _provider(provider)
    handle, domain = _parsed_or_404(found, request.POST.get("account", ""))
    record = selectors.account_on(provider=found.key, domain=domain, handle=handle)
    if record is None:
        raise Http404("No such account.")
    try:
        code = proof_code_issue(account_id=record.pk, user=request.user)
    except FlattrError as error:
        return _error_page(request, found, error)
    return redirect("platform_proof", provider=found.key, code_id=code.pk)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def proof_status(request: HttpRequest, provider: str, code_id: int) -> HttpResponse:
    """The code to place in the profile, and "check now" (POST queues the check)."""
    from twitter_claims import tasks
    from twitter_claims.models import ProofCode

    found = _provider(provider)
    code = (
        ProofCode.objects.select_related("account")
        .filter(pk=code_id, user=request.user, account__provider=found.key)
        .first()
    )
    if code is None:
        raise Http404("No such code.")
    if request.method == "POST":
        try:
            tasks.proof_code_check.delay(code.pk)
        except FlattrError as error:
            return _error_page(request, found, error)
        except BrokerUnreachable:  # Redis restarting: beat's proof_codes_check looks soon anyway
            logger.warning("queue unreachable; proof code %s left to the periodic check", code.pk)
        return redirect("platform_proof", provider=found.key, code_id=code.pk)
    code.refresh_from_db()
    return render(request, "twitter_claims/provider_proof.html", {"provider": found, "code": code})


@login_required
@require_GET
def connected(request: HttpRequest) -> HttpResponse:
    """Settings → connected accounts: every platform account this user claimed, on any
    platform, with what it brought; disconnect; connect another."""
    accounts = list(selectors.accounts_linked_to(request.user))
    for record in accounts:
        record.summary = selectors.claim_summary(record)
    # X has its own settings page; a Facebook page is connected from the page's own page.
    others = [p for p in provider_list() if p.key != "twitter" and not p.needs_target]
    context = {"accounts": accounts, "providers": others}
    response = render(request, "twitter_claims/provider_connected.html", context)
    # A "Connect" form posts to our start view, which redirects to the provider: browsers apply
    # this page's CSP `form-action` to that redirect, so each fixed provider's origin is added.
    # A per-instance provider (Mastodon) asks for the instance on a page of its own first
    # (platform_sign_in), whose policy names that instance.
    origins = [p.oauth_origin(p.domain) for p in others if p.domain]
    if origins:
        policy = dict(getattr(response, "_csp_config", settings.SECURE_CSP))
        policy["form-action"] = [*policy.get("form-action", []), *filter(None, origins)]
        response._csp_config = policy
    return response


@require_POST
@login_required
def disconnect(request: HttpRequest, account_id: int) -> HttpResponse:
    """Unlink one connected account; money it brought stays in the user's earnings."""
    try:
        record = claims.account_disconnect(account_id=account_id, user=request.user)
    except FlattrError:
        raise Http404("No such connected account.") from None
    messages.success(
        request,
        _(
            "%(account)s is no longer connected. What it brought stays in your earnings; new "
            "flattrs of it wait for its owner again."
        )
        % {"account": record.label},
    )
    return redirect("platform_connected")
