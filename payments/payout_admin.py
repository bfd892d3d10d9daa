"""The payout queue in the admin: oldest request first, with what the recipient may take out,
what is held and whether their Stripe account is ready; approve, or reject with a reason.

Each decision goes through the payout services, which record the acting admin (and the
reason) on the payout; Django's admin log records the action too. Money is shown as money.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from payments import selectors, services, stripe_gateway
from payments.errors import PaymentError
from payments.models import Payout, PayoutAccount
from payments.models.payouts import REASON_LENGTH
from payments.payout_export import payouts_csv_response
from payments.payout_queue import payout_standings
from payments.templatetags.money import format_cents


class PayoutActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason (told to the recipient when rejecting)"),
        required=False,
        max_length=REASON_LENGTH,
    )


class WaitingFirst(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("waiting", _("Waiting for approval")), ("open", _("Under way")), ("all", _("All"))]

    def queryset(self, request, queryset):
        value = self.value() or "waiting"
        if value == "waiting":
            return queryset.filter(status=Payout.Status.REQUESTED)
        if value == "open":
            return queryset.filter(status__in=Payout.OPEN_STATUSES)
        return queryset

    def choices(self, changelist):
        value = self.value() or "waiting"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "requested_at",
        "user",
        "amount_shown",
        "fee_shown",
        "status",
        "payable_shown",
        "held_shown",
        "readiness",
        "decided_by",
    )
    list_filter = (WaitingFirst, "status")
    search_fields = ("user__username", "user__email", "transfer_id", "stripe_payout_id")
    list_select_related = ("user", "account", "decided_by")
    ordering = ("requested_at", "id")  # oldest first: the queue is worked from the top
    action_form = PayoutActionForm
    actions = ("payouts_approve", "payouts_reject", "payouts_send")
    readonly_fields = [field.name for field in Payout._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # decisions are actions, recorded with the admin; nothing is edited

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, payout: Payout) -> str:
        return format_cents(payout.amount)

    @admin.display(description=_("fee"))
    def fee_shown(self, payout: Payout) -> str:
        return format_cents(payout.fee)

    change_list_template = "admin/payments/payout/change_list.html"

    def get_urls(self):
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_view),
                name="payments_payout_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """Every payout (or ?status=…) as CSV, for the books."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return payouts_csv_response(status=request.GET.get("status", ""))

    def get_changelist_instance(self, request):
        """Work out the standings of the whole page at once (a fixed number of queries however
        many payouts are listed) and hand each row its own."""
        changelist = super().get_changelist_instance(request)
        standings = payout_standings([payout.user_id for payout in changelist.result_list])
        for payout in changelist.result_list:
            payout.standing = standings[payout.user_id]
        return changelist

    def _standing(self, payout: Payout):
        standing = getattr(payout, "standing", None)
        return standing if standing is not None else selectors.payout_standing(payout.user)

    @admin.display(description=_("payable now"))
    def payable_shown(self, payout: Payout) -> str:
        return format_cents(self._standing(payout).payable)

    @admin.display(description=_("held"))
    def held_shown(self, payout: Payout) -> str:
        standing = self._standing(payout)
        if not standing.held:
            return "—"
        return f"{format_cents(standing.held)} ({_('until')} {standing.held_until})"

    @admin.display(description=_("payout account"))
    def readiness(self, payout: Payout) -> str:
        standing = self._standing(payout)
        text = payout.account.get_status_display()
        if standing.guard_until:
            text += f"; {_('details changed, guard until')} {standing.guard_until:%Y-%m-%d %H:%M}"
        return text

    @admin.action(description=_("Approve the selected payouts"))
    def payouts_approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject the selected payouts (with the reason above)"))
    def payouts_reject(self, request, queryset):
        self._decide(request, queryset, approve=False)

    @admin.action(description=_("Send again (approved payouts not yet sent)"))
    def payouts_send(self, request, queryset):
        sent = 0
        for payout in queryset.filter(status=Payout.Status.APPROVED).order_by("requested_at"):
            try:
                payout = services.payout_send(payout_id=payout.pk)
            except stripe_gateway.GatewayError as error:
                self.message_user(request, f"#{payout.pk}: {error.message}", messages.ERROR)
                continue
            self.log_change(request, payout, f"sent again: {payout.status}")
            sent += 1
        self.message_user(request, f"{sent} {_('sent again')}.", messages.INFO)

    def _decide(self, request, queryset, *, approve: bool) -> None:
        reason = request.POST.get("reason", "")
        done = 0
        for payout_id in queryset.order_by("requested_at", "id").values_list("pk", flat=True):
            try:
                if approve:
                    payout = services.payout_approve(payout_id=payout_id, admin=request.user)
                else:
                    payout = services.payout_reject(
                        payout_id=payout_id, admin=request.user, reason=reason
                    )
            except PaymentError as error:
                self.message_user(request, f"#{payout_id}: {error.message}", messages.ERROR)
                continue
            self.log_change(
                request, payout, f"{payout.status}: {reason}" if reason else payout.status
            )
            done += 1
        if done:
            verb = _("approved") if approve else _("rejected")
            self.message_user(request, f"{done} {verb}.", messages.SUCCESS)


@admin.register(PayoutAccount)
class PayoutAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "stripe_account_id", "status", "bank_label", "details_changed_at")
    list_filter = ("status",)
    search_fields = ("user__username", "user__email", "stripe_account_id")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in PayoutAccount._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
