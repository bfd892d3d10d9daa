"""Money pages (wallet, statement, add funds, budget) and the Stripe webhook. Automatic top-ups
are auto_topup_views.py, statements and income statement_views.py.

Views parse input and call one service; money is never credited here, only by the webhook.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.networks import request_network
from payments import selectors, services, stripe_gateway, stripe_test_cards
from payments.errors import PaymentError
from payments.forms import BudgetForm, DepositAmountForm, DepositConfirmForm
from payments.fraud import deposit_attempt_check
from payments.models import Deposit
from payments.statement_export import statement_csv_response
from payments.templatetags.money import format_cents
from payments.webhooks import WebhookPayloadError, stripe_event_process

logger = logging.getLogger(__name__)
STATEMENT_PAGE_SIZE = 25


@login_required
@never_cache
def wallet(request: HttpRequest) -> HttpResponse:
    summary = selectors.wallet_summary(request.user)
    page = Paginator(selectors.statement_transfers(request.user), STATEMENT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        **summary,
        "page": page,
        "lines": selectors.statement_lines(request.user, page.object_list),
        "deposits": selectors.deposits_recent(request.user),
        "auto_topup": selectors.auto_topup_get(request.user),
    }
    return render(request, "payments/wallet.html", context)


@login_required
def statement_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every transfer touching the user's accounts, oldest first, streamed as CSV."""
    return statement_csv_response(request.user)


# ---- Add funds ----


@login_required
@require_http_methods(["GET", "POST"])
def deposit_new(request: HttpRequest) -> HttpResponse:
    """Step 1: choose an amount."""
    form = DepositAmountForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            url = reverse("payments:deposit_confirm") + f"?amount={form.cleaned_data['cents']}"
            return redirect(url)
        return _deposit_new_page(request, form, status=400)
    return _deposit_new_page(request, form)


def _deposit_new_page(request, form, *, refused=(), status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "refused": refused,
        "min_deposit": settings.MIN_DEPOSIT_CENTS,
        "max_deposit": settings.MAX_DEPOSIT_CENTS,
    }
    return render(request, "payments/deposit_new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def deposit_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: say exactly what will happen, then pay (test card or Stripe Checkout)."""
    test_cards = stripe_test_cards.test_cards_enabled()
    if request.method == "GET":
        form = DepositConfirmForm(
            {"amount": request.GET.get("amount", ""), "reference": str(uuid.uuid4())},
            test_cards=False,
        )
        if not form.is_valid():
            return _amount_refused(request, form)
        form = DepositConfirmForm(initial=form.cleaned_data, test_cards=test_cards)
        return _confirm_page(request, form, form.initial["amount"])
    form = DepositConfirmForm(request.POST, test_cards=test_cards)
    if not form.is_valid():
        if "amount" in form.errors or "reference" in form.errors:
            return _amount_refused(request, form)
        return _confirm_page(request, form, form.cleaned_data["amount"], status=400)
    amount, reference = form.cleaned_data["amount"], form.cleaned_data["reference"]
    try:
        deposit_attempt_check(user=request.user, network=request_network(request))
        if test_cards:
            deposit = services.deposit_card_start(
                user=request.user,
                amount_cents=amount,
                reference=reference,
                card=form.cleaned_data["card"],
            )
            return redirect("payments:deposit_detail", reference=deposit.reference)
        detail = request.build_absolute_uri(
            reverse("payments:deposit_detail", kwargs={"reference": reference})
        )
        deposit, checkout_url = services.deposit_checkout_start(
            user=request.user,
            amount_cents=amount,
            reference=reference,
            success_url=detail,
            cancel_url=detail + "?canceled=1",
        )
    except PaymentError as error:
        messages.error(request, _("The payment could not be started: %s") % error.message)
        return redirect("payments:deposit_new")
    if checkout_url:
        return HttpResponseRedirect(checkout_url)
    return redirect("payments:deposit_detail", reference=deposit.reference)


def _amount_refused(request: HttpRequest, form: DepositConfirmForm) -> HttpResponse:
    errors = [
        str(message) for field in ("amount", "reference") for message in form.errors.get(field, [])
    ]
    return _deposit_new_page(
        request, DepositAmountForm(), refused=errors or [_("Choose an amount.")], status=400
    )


def _confirm_page(request, form, amount: int, status: int = 200) -> HttpResponse:
    summary = selectors.wallet_summary(request.user)
    context = {
        "form": form,
        "amount": amount,
        "test_cards": form.test_cards,
        "funds_after": summary["funds"] + amount,
        "owed": summary["owed"],
        **summary,
    }
    return render(request, "payments/deposit_confirm.html", context, status=status)


def _user_deposit(request: HttpRequest, reference: uuid.UUID) -> Deposit:
    deposit = selectors.deposit_for_user(request.user, reference)
    if deposit is None:
        raise Http404("No such deposit.")
    return deposit


@login_required
@never_cache
def deposit_detail(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """Where the browser lands after paying: waits for Stripe's webhook, then shows the credit."""
    deposit = _user_deposit(request, reference)
    context = {
        "deposit": deposit,
        "test_cards": stripe_test_cards.test_cards_enabled(),
        "canceled_at_stripe": request.GET.get("canceled") == "1",
        **selectors.wallet_summary(request.user),
    }
    return render(request, "payments/deposit_detail.html", context)


@login_required
@never_cache
def deposit_status(request: HttpRequest, reference: uuid.UUID) -> JsonResponse:
    """The deposit's state, polled by the deposit page while it waits for the webhook."""
    deposit = _user_deposit(request, reference)
    return JsonResponse(
        {
            "status": deposit.status,
            "open": deposit.is_open,
            "credited": deposit.credited_at is not None,
            "amount": format_cents(deposit.amount),
        }
    )


@login_required
@require_POST
def deposit_authenticate(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """Play the bank's part in a 3-D Secure check (development against localstripe only)."""
    if not stripe_test_cards.test_cards_enabled():
        raise Http404("Only with test cards.")
    deposit = _user_deposit(request, reference)
    answer = request.POST.get("answer")
    if answer not in ("approve", "refuse"):
        return HttpResponse(_("Answer approve or refuse."), status=400)
    try:
        services.deposit_authenticate_test(deposit=deposit, success=answer == "approve")
    except PaymentError as error:
        messages.error(request, error.message)
    return redirect("payments:deposit_detail", reference=deposit.reference)


# ---- Budget ----


@login_required
@require_http_methods(["GET", "POST"])
def budget_edit(request: HttpRequest) -> HttpResponse:
    budget = selectors.budget_get(request.user)
    if request.method == "POST":
        form = BudgetForm(request.POST)
        if form.is_valid():
            try:
                budget = services.budget_set(
                    user=request.user,
                    monthly_cents=form.cleaned_data["cents"],
                    use_earnings=form.cleaned_data["use_earnings"],
                    unused_to_charity=form.cleaned_data["unused_to_charity"],
                )
            except PaymentError as error:
                form.add_error(None, error.message)
            else:
                _budget_saved_message(request, budget.monthly_cents)
                return redirect("payments:wallet")
        status = 400
    else:
        presets = {str(cents) for cents in settings.BUDGET_PRESETS_CENTS} | {"0"}
        current = str(budget.monthly_cents)
        initial = {
            "choice": current if current in presets else "custom",
            "custom_amount": "" if current in presets else f"{budget.monthly_cents / 100:.2f}",
            "use_earnings": budget.use_earnings,
            "unused_to_charity": budget.unused_to_charity,
        }
        form = BudgetForm(initial=initial)
        status = 200
    summary = selectors.wallet_summary(request.user)
    presets = [
        (str(cents), cents, *selectors.fee_split(cents)) for cents in settings.BUDGET_PRESETS_CENTS
    ]
    context = {
        "form": form,
        "presets": presets,
        "min_budget": settings.MIN_BUDGET_CENTS,
        "max_budget": settings.MAX_BUDGET_CENTS,
        **summary,
    }
    return render(request, "payments/budget.html", context, status=status)


def _budget_saved_message(request: HttpRequest, cents: int) -> None:
    if cents == 0:
        messages.success(request, _("You have no monthly budget now: nothing is given on payday."))
        return
    summary = selectors.wallet_summary(request.user)
    to_creators, fee = selectors.fee_split(cents)
    messages.success(
        request,
        _("Your monthly budget is now %(budget)s: %(creators)s for what you flattr, %(fee)s fee.")
        % {
            "budget": format_cents(cents),
            "creators": format_cents(to_creators),
            "fee": format_cents(fee),
        },
    )
    if summary["spendable"] < cents:
        messages.warning(
            request,
            _(
                "Your wallet holds %(wallet)s, less than your budget: payday will take "
                "%(wallet)s unless you add funds."
            )
            % {"wallet": format_cents(summary["spendable"])},
        )


# ---- Stripe webhook ----


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """Receive a Stripe event: verify its signature on the raw body, then record and apply it
    once. 400 for anything unsigned or malformed (and nothing changes); 200 otherwise, also
    for event types we ignore, so Stripe stops retrying them."""
    try:
        event = stripe_gateway.webhook_event_construct(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except stripe_gateway.WebhookSignatureInvalid:
        return JsonResponse({"error": "invalid_signature"}, status=400)
    except stripe_gateway.WebhookPayloadInvalid:
        return JsonResponse({"error": "invalid_payload"}, status=400)
    try:
        outcome = stripe_event_process(event=event)
    except WebhookPayloadError as error:
        logger.warning("Stripe event refused: %s", error)
        return JsonResponse({"error": "invalid_event", "detail": str(error)}, status=400)
    return JsonResponse({"received": True, "outcome": outcome})
