"""Admin of payday: the list of paydays (stage, counts, totals), their shares, and a dry-run
preview of a month before it is posted, with a button that queues the real run.

Registered from payments/admin.py. Nothing here writes money: posting runs `payday_run` in a
Celery task (`payments.tasks.payday_run_month`), queued after the confirming request commits.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from payments.admin_money import MoneyAdminMixin
from payments.models import Payday, PaydayNotice, Share
from payments.months import month_previous, month_start
from payments.payday import (
    PaydayError,
    month_check_closed,
    payday_check,
    payday_preview,
)
from payments.payday_months import payday_month_check
from payments.tasks import payday_run_month
from payments.templatetags.money import format_cents


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PaydayMonthForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        max_length=7,
        help_text=_(
            "YYYY-MM; a month that has ended, not before the first flattr and not older than "
            "the last finished payday."
        ),
        widget=forms.TextInput(attrs={"placeholder": "2026-10", "pattern": r"\d{4}-\d{2}"}),
    )

    def clean_month(self) -> dt.date:
        raw = self.cleaned_data["month"].strip()
        try:
            month = dt.date.fromisoformat(f"{raw}-01")
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-10.")) from None
        try:
            return payday_month_check(month_check_closed(month))
        except PaydayError as error:
            raise forms.ValidationError(error.message, code=error.code) from error


@admin.register(Payday)
class PaydayAdmin(MoneyAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    money_fields = ("total_cents", "fees_cents", "charity_cents")
    list_display = (
        "month_label",
        "stage",
        "donors",
        "shares",
        "recipients",
        "total",
        "fees",
        "charity",
        "started_at",
        "finished_at",
    )
    list_filter = ("stage",)
    ordering = ("-month",)
    actions = ["self_check"]
    change_list_template = "admin/payments/payday/change_list.html"

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, obj: Payday) -> str:
        return f"{obj.month:%Y-%m}"

    @admin.display(description=_("to recipients"), ordering="total_cents")
    def total(self, obj: Payday) -> str:
        return format_cents(obj.total_cents)

    @admin.display(description=_("fees"), ordering="fees_cents")
    def fees(self, obj: Payday) -> str:
        return format_cents(obj.fees_cents)

    @admin.display(description=_("charity"), ordering="charity_cents")
    def charity(self, obj: Payday) -> str:
        return format_cents(obj.charity_cents)

    @admin.action(description=_("Run the self-check of the selected paydays"))
    def self_check(self, request: HttpRequest, queryset) -> None:
        for payday in queryset:
            problems = payday_check(payday=payday)
            if problems:
                self.message_user(
                    request,
                    gettext("%(payday)s: %(problems)s")
                    % {"payday": payday, "problems": "; ".join(problems)},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request, gettext("%(payday)s: sound.") % {"payday": payday}, messages.SUCCESS
                )

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="payments_payday_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """GET: a month form and, for a valid month, the dry-run summary. POST (superusers):
        queue the real payday for that month and go back to the list."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            return self._confirm(request)
        data = request.GET if "month" in request.GET else None
        form = PaydayMonthForm(data, initial={"month": f"{month_previous(month_start()):%Y-%m}"})
        summary = payday_preview(month=form.cleaned_data["month"]) if form.is_valid() else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Payday preview"),
            "form": form,
            "summary": summary,
            "can_run": request.user.is_superuser,
        }
        return TemplateResponse(
            request,
            "admin/payments/payday/preview.html",
            context,
            status=400 if data is not None and not form.is_valid() else 200,
        )

    def _confirm(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        form = PaydayMonthForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors.get("month", [])))
            return HttpResponseRedirect(reverse("admin:payments_payday_preview"))
        month = f"{form.cleaned_data['month']:%Y-%m}"
        # Not robust on purpose: if the queue is unreachable the admin gets the 503 page
        # (flattr.outage) instead of a "queued" message for a payday that never runs.
        transaction.on_commit(lambda: payday_run_month.delay(month=month))
        self.message_user(
            request,
            gettext("Payday for %(month)s is queued. Its stage and totals appear here as it runs.")
            % {"month": month},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:payments_payday_changelist"))


@admin.register(Share)
class ShareAdmin(MoneyAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    money_fields = ("amount",)
    list_display = ("id", "month", "donor", "thing", "payee", "amount", "state", "settled_at")
    list_filter = ("state", "month")
    search_fields = ("donor__username", "thing__title")
    list_select_related = ("donor", "thing", "payee__user")
    raw_id_fields = ("flattr", "donor", "thing", "payee", "payday")
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(PaydayNotice)
class PaydayNoticeAdmin(MoneyAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    money_fields = ("before_cents", "after_cents")
    list_display = ("payday", "user", "before_cents", "after_cents", "created_at", "sent_at")
    list_select_related = ("payday", "user")
    search_fields = ("user__username", "user__email")
    ordering = ("-id",)
