"""Automatic top-up pages: save a card (a test card in development, Stripe Checkout in
production), set the monthly amount, switch it on or off. No money moves here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from payments import selectors, services, stripe_gateway, stripe_test_cards
from payments.errors import PaymentError
from payments.forms import AutoTopUpForm


@login_required
@require_http_methods(["GET", "POST"])
def auto_topup(request: HttpRequest) -> HttpResponse:
    topup = selectors.auto_topup_get(request.user)
    test_cards = stripe_test_cards.test_cards_enabled()
    if request.method == "POST":
        form = AutoTopUpForm(request.POST)
        if form.is_valid():
            try:
                _auto_topup_apply(request, form, topup, test_cards)
            except PaymentError as error:
                form.add_error(None, error.message)
            except stripe_gateway.GatewayError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Your automatic top-up is saved."))
                return redirect("payments:wallet")
        status = 400
    else:
        initial = {"amount": "10", "active": True}
        if topup is not None:
            initial = {"amount": f"{topup.amount / 100:.2f}", "active": topup.active}
        form = AutoTopUpForm(initial=initial)
        status = 200
    context = {"form": form, "topup": topup, "test_cards": test_cards}
    return render(request, "payments/auto_topup.html", context, status=status)


def _auto_topup_apply(request, form, topup, test_cards: bool) -> None:
    amount, active, card = (
        form.cleaned_data["amount"],
        form.cleaned_data["active"],
        form.cleaned_data.get("card", ""),
    )
    if test_cards and card:
        services.auto_topup_save(user=request.user, amount_cents=amount, card=card)
        if not active:
            services.auto_topup_amount_set(user=request.user, amount_cents=amount, active=False)
        return
    if topup is None:
        raise PaymentError("no_card", _("Choose a card to save."))
    services.auto_topup_amount_set(user=request.user, amount_cents=amount, active=active)


@login_required
@require_POST
def auto_topup_card_checkout(request: HttpRequest) -> HttpResponse:
    """Production: save a card through Stripe Checkout in setup mode (no money moves)."""
    form = AutoTopUpForm(request.POST)
    if not form.is_valid():
        context = {
            "form": form,
            "topup": selectors.auto_topup_get(request.user),
            "test_cards": False,
        }
        return render(request, "payments/auto_topup.html", context, status=400)
    request.session["auto_topup_amount"] = form.cleaned_data["amount"]
    back = request.build_absolute_uri(reverse("payments:auto_topup_card_saved"))
    try:
        session = services.auto_topup_checkout_start(
            user=request.user,
            success_url=back + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=request.build_absolute_uri(reverse("payments:auto_topup")),
        )
    except stripe_gateway.GatewayError as error:
        messages.error(request, error.message)
        return redirect("payments:auto_topup")
    return HttpResponseRedirect(session.url)


@login_required
def auto_topup_card_saved(request: HttpRequest) -> HttpResponse:
    """Production: back from Stripe Checkout (setup mode); store the card it saved."""
    session_id = request.GET.get("session_id", "")
    amount = request.session.get("auto_topup_amount")
    if not session_id.startswith("cs_") or not isinstance(amount, int):
        return HttpResponse(_("This link is not valid."), status=400)
    try:
        services.auto_topup_checkout_finish(
            user=request.user, session_id=session_id, amount_cents=amount
        )
    except (PaymentError, stripe_gateway.GatewayError) as error:
        messages.error(request, error.message)
        return redirect("payments:auto_topup")
    messages.success(request, _("Your card is saved for automatic top-ups."))
    return redirect("payments:wallet")
