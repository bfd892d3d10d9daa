"""Admin of the books: ledger accounts and transfers read-only, deposits, Stripe events, budgets.

Nothing here changes a balance: the ledger is append-only and moves only through services.
The admin home page gets a money panel (payments/templates/admin/payments_index.html).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from payments import services, stripe_gateway
from payments.admin_money import MoneyAdminMixin, MoneyFormField
from payments.errors import PaymentError
from payments.ledger_watch import ledger_check_run
from payments.models import (
    AutoTopUp,
    Budget,
    Deposit,
    Dispute,
    LedgerAccount,
    StripeEvent,
    Transfer,
)
from payments.templatetags.money import format_cents


class ReadOnlyAdmin(admin.ModelAdmin):
    """View-only: no add, change or delete for anyone, superusers included."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(MoneyAdminMixin, ReadOnlyAdmin):
    money_fields = ("balance",)
    list_display = ("id", "kind", "user", "label", "balance", "created_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "user__email", "label")
    list_select_related = ("user",)
    ordering = ("id",)

    def get_urls(self):
        return [
            path(
                "check/",
                self.admin_site.admin_view(self.check_view),
                name="payments_ledgeraccount_check",
            ),
            *super().get_urls(),
        ]

    def check_view(self, request: HttpRequest) -> HttpResponse:
        """POST: run the whole-books ledger check now (the admins are mailed if it finds
        anything) and go back to the home panel, which shows the result."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = ledger_check_run()
        if run.ok:
            self.message_user(request, gettext("The books balance."), messages.SUCCESS)
        else:
            self.message_user(
                request,
                gettext("The ledger check found problems; the admins are mailed."),
                messages.ERROR,
            )
        return HttpResponseRedirect(reverse("admin:index"))


@admin.register(Transfer)
class TransferAdmin(MoneyAdminMixin, ReadOnlyAdmin):
    money_fields = ("amount",)
    list_display = ("id", "created_at", "kind", "debit", "credit", "amount", "key")
    list_filter = ("kind",)
    search_fields = ("key", "memo")
    list_select_related = ("debit__user", "credit__user")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        """Also find transfers by the username or email of either side's owner."""
        queryset, distinct = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            by_user = Q(debit__user__username__iexact=term) | Q(credit__user__username__iexact=term)
            by_user |= Q(debit__user__email__iexact=term) | Q(credit__user__email__iexact=term)
            queryset |= self.model.objects.filter(by_user)
        return queryset, distinct


class DisputeInline(MoneyAdminMixin, admin.TabularInline):
    money_fields = ("amount",)
    model = Dispute
    extra = 0
    can_delete = False
    readonly_fields = ("dispute_id", "amount", "status", "reason", "debited", "reversed")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class StripeEventInline(admin.TabularInline):
    model = StripeEvent
    extra = 0
    can_delete = False
    fields = ("event_id", "type", "outcome", "error", "deliveries", "received_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Deposit)
class DepositAdmin(MoneyAdminMixin, admin.ModelAdmin):
    money_fields = ("amount", "refunded_cents")
    list_display = (
        "created_at",
        "user",
        "amount",
        "currency",
        "method",
        "status",
        "refunded_cents",
        "payment_id",
    )
    list_filter = ("status", "method")
    search_fields = ("user__username", "user__email", "payment_id", "charge_id", "=reference")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Deposit._meta.fields]
    inlines = [DisputeInline, StripeEventInline]
    actions = ["refund_through_stripe"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(
        description=_("Refund in full through Stripe (the webhook then debits)"),
        permissions=["change"],
    )
    def refund_through_stripe(self, request, queryset):
        for deposit in queryset:
            try:
                refund_id = services.deposit_refund_request(deposit=deposit)
            except (PaymentError, stripe_gateway.GatewayError) as error:
                self.message_user(
                    request, f"{deposit.payment_id or deposit.pk}: {error}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    _("%(payment)s: refund %(refund)s requested.")
                    % {"payment": deposit.payment_id, "refund": refund_id},
                    messages.SUCCESS,
                )


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "event_id",
        "type",
        "outcome",
        "deliveries",
        "payment_id",
        "error",
    )
    list_filter = ("outcome", "type")
    search_fields = ("event_id", "payment_id", "deposit__user__username")
    date_hierarchy = "received_at"


@admin.register(Dispute)
class DisputeAdmin(MoneyAdminMixin, ReadOnlyAdmin):
    money_fields = ("amount",)
    list_display = ("dispute_id", "deposit_shown", "amount", "status", "debited", "reversed")
    list_select_related = ("deposit__user",)
    list_filter = ("status", "debited", "reversed")
    search_fields = ("dispute_id", "deposit__payment_id", "deposit__user__username")

    @admin.display(description=_("deposit"), ordering="deposit")
    def deposit_shown(self, dispute: Dispute) -> str:
        deposit = dispute.deposit
        return f"{format_cents(deposit.amount)} · {deposit.user} ({deposit.get_status_display()})"


class BudgetAdminForm(forms.ModelForm):
    monthly_cents = MoneyFormField(label=_("monthly budget"))

    class Meta:
        model = Budget
        fields = ("user", "monthly_cents", "use_earnings", "unused_to_charity")

    def clean_monthly_cents(self) -> int:
        cents = self.cleaned_data["monthly_cents"]
        try:
            services.budget_validate(cents)
        except PaymentError as error:
            raise ValidationError(error.message, code=error.code) from error
        return cents


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    form = BudgetAdminForm
    list_display = ("user", "monthly", "use_earnings", "unused_to_charity", "updated_at")
    list_filter = ("use_earnings", "unused_to_charity")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)

    @admin.display(description=_("monthly budget"), ordering="monthly_cents")
    def monthly(self, budget: Budget) -> str:
        return format_cents(budget.monthly_cents)

    def save_model(self, request, obj, form, change):
        """Go through the service (the form already checked the limits)."""
        services.budget_set(
            user=obj.user,
            monthly_cents=obj.monthly_cents,
            use_earnings=obj.use_earnings,
            unused_to_charity=obj.unused_to_charity,
        )


class AutoTopUpAdminForm(forms.ModelForm):
    amount = MoneyFormField(label=_("amount"), min_value=1)

    class Meta:
        model = AutoTopUp
        fields = ("amount", "active")


@admin.register(AutoTopUp)
class AutoTopUpAdmin(admin.ModelAdmin):
    form = AutoTopUpAdminForm
    list_display = ("user", "amount_shown", "active", "card_label", "last_month", "last_error")
    list_filter = ("active",)
    search_fields = ("user__username", "user__email")
    readonly_fields = ("user", "payment_method_id", "card_label", "last_month", "last_error")
    fields = ("user", "amount", "active", *readonly_fields[1:])

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, topup: AutoTopUp) -> str:
        return format_cents(topup.amount)


# Payday's admin (paydays, shares, notices, the dry-run preview) and the payout queue live in
# their own modules.
from payments import payday_admin, payout_admin  # noqa: E402, F401
