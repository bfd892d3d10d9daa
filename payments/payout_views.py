"""The Payouts page: a recipient's Stripe payout account, what they may take out, and their
requests. Views parse input and call one service; money moves only in the services."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.networks import request_network
from payments import selectors, services, stripe_gateway
from payments.errors import PaymentError
from payments.forms import PayoutAmountForm, PayoutConfirmForm
from payments.fraud import payout_attempt_check


def _page(request: HttpRequest, form: PayoutAmountForm, *, status: int = 200) -> HttpResponse:
    standing = selectors.payout_standing(request.user)
    context = {
        "form": form,
        "standing": standing,
        "payouts": selectors.payouts_for_user(request.user),
        "minimum": selectors.payout_minimum(),
        "hold_days": selectors.payout_hold_days(),
    }
    response = render(request, "payments/payouts.html", context, status=status)
    _allow_onboarding_form(response)
    return response


# Where Stripe's hosted onboarding lives when no Connect base is set (production).
STRIPE_CONNECT_ORIGIN = "https://connect.stripe.com"


def _allow_onboarding_form(response: HttpResponse) -> None:
    """Let "Set up payouts" lead to Stripe's onboarding page.

    The form posts to our own view, which redirects to Stripe's origin; browsers apply the
    page's CSP `form-action` to that redirect too, so that origin (and only it) is added.
    """
    base = urlsplit(settings.STRIPE_CONNECT_API_BASE or STRIPE_CONNECT_ORIGIN)
    if base.scheme in ("http", "https") and base.netloc:
        policy = dict(getattr(response, "_csp_config", settings.SECURE_CSP))
        origin = f"{base.scheme}://{base.netloc}"
        policy["form-action"] = [*policy.get("form-action", []), origin]
        response._csp_config = policy


@login_required
@require_GET
def payouts(request: HttpRequest) -> HttpResponse:
    return _page(request, PayoutAmountForm())


@login_required
@require_POST
def payout_onboarding(request: HttpRequest) -> HttpResponse:
    """Open (or continue, or change) the recipient's payout details on Stripe's pages."""
    return _onboarding_redirect(request)


@login_required
@require_GET
def payout_onboarding_refresh(request: HttpRequest) -> HttpResponse:
    """Stripe sends the browser here when an onboarding link expired: make a fresh one."""
    return _onboarding_redirect(request)


def _onboarding_redirect(request: HttpRequest) -> HttpResponse:
    try:
        url = services.payout_account_start(
            user=request.user,
            return_url=request.build_absolute_uri(reverse("payments:payout_onboarding_return")),
            refresh_url=request.build_absolute_uri(reverse("payments:payout_onboarding_refresh")),
        )
    except stripe_gateway.GatewayError as error:
        messages.error(request, _("Stripe could not be reached: %s") % error.message)
        return redirect("payments:payouts")
    return HttpResponseRedirect(url)


@login_required
@require_GET
def payout_onboarding_return(request: HttpRequest) -> HttpResponse:
    """Back from Stripe: ask how the account stands now, and say so."""
    try:
        account = services.payout_account_refresh(user=request.user)
    except stripe_gateway.GatewayError as error:
        messages.error(request, _("Stripe could not be reached: %s") % error.message)
        return redirect("payments:payouts")
    if account is not None and account.status == account.Status.READY:
        messages.success(request, _("Your payout details are complete."))
    else:
        messages.warning(request, _("Your payout details are not complete yet."))
    return redirect("payments:payouts")


@login_required
@require_POST
def payout_review(request: HttpRequest) -> HttpResponse:
    """Step 1 → 2: show the amount, the fee and what reaches the bank before anything happens."""
    form = PayoutAmountForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    standing = selectors.payout_standing(request.user)
    cents = form.cleaned_data["cents"]
    amount = standing.payable if cents is None else cents
    fee = selectors.payout_fee(amount)
    confirm = PayoutConfirmForm(
        initial={"amount": amount, "everything": cents is None, "reference": uuid.uuid4()}
    )
    context = {
        "form": confirm,
        "amount": amount,
        "fee": fee,
        "net": amount - fee,
        "standing": standing,
        "auto": standing.trusted and amount <= selectors.payout_auto_approve_limit(),
    }
    return render(request, "payments/payout_confirm.html", context)


@login_required
@require_http_methods(["POST"])
def payout_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: request the payout."""
    form = PayoutConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This form is not valid any more; start again."))
        return redirect("payments:payouts")
    data = form.cleaned_data
    try:
        payout_attempt_check(user=request.user, network=request_network(request))
        payout = services.payout_request(
            user=request.user,
            amount_cents=None if data["everything"] else data["amount"],
            reference=data["reference"],
        )
    except PaymentError as error:
        messages.error(request, error.message)
        return _page(request, PayoutAmountForm(), status=400)
    if payout.status == payout.Status.REQUESTED:
        messages.success(request, _("Your payout is requested; an admin approves it soon."))
    elif payout.status == payout.Status.FAILED:
        messages.error(request, _("Your payout failed: %s") % payout.failure)
    else:
        messages.success(request, _("Your payout is approved and on its way."))
    return redirect("payments:payouts")
