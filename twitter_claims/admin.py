"""Admin for platform accounts: accounts with their pools, handle history, every notice, and
proof codes (verify by hand, with the reason kept on the code's row).

Money is never edited here: pools move only through claims, expiry and payday. The admin shows
what is held and lets staff trigger the jobs that are safe to run at any time.
"""

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from flattr.errors import FlattrError
from payments.admin_money import MoneyAdminMixin
from payments.templatetags.money import format_cents
from twitter_claims import services
from twitter_claims.models import (
    HandleHistory,
    OwnerNotice,
    PendingHandle,
    PlatformAccount,
    ProofCode,
)
from twitter_claims.services.proofs import proof_code_verify_by_hand


class HandleHistoryInline(admin.TabularInline):
    model = HandleHistory
    extra = 0
    can_delete = False
    fields = ("handle", "first_seen_at", "last_seen_at")
    readonly_fields = fields


class OwnerNoticeInline(MoneyAdminMixin, admin.TabularInline):
    money_fields = ("pool_cents",)
    model = OwnerNotice
    extra = 0
    can_delete = False
    fields = ("created_at", "state", "pool_cents", "donors", "tweet_id", "error")
    readonly_fields = fields


class ClaimedFilter(admin.SimpleListFilter):
    title = _("claimed")
    parameter_name = "claimed"

    def lookups(self, request, model_admin):
        return [("yes", _("claimed")), ("no", _("waiting"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(claimed_by__isnull=False)
        if self.value() == "no":
            return queryset.filter(claimed_by__isnull=True)
        return queryset


@admin.register(PlatformAccount)
class PlatformAccountAdmin(admin.ModelAdmin):
    list_display = (
        "handle",
        "user_id",
        "held",
        "donors",
        "claimed_by",
        "claimed_at",
        "notices_opted_out",
        "flattrs_opted_out",
        "notice_count",
    )
    list_filter = (ClaimedFilter, "notices_opted_out", "flattrs_opted_out")
    search_fields = ("handle", "user_id", "name", "handle_history__handle", "claimed_by__username")
    ordering = ("-pool__balance",)
    list_select_related = ("pool", "claimed_by")
    inlines = (HandleHistoryInline, OwnerNoticeInline)
    readonly_fields = (
        "provider",
        "user_id",
        "handle",
        "name",
        "handle_checked_at",
        "pool",
        "held",
        "thing",
        "claimed_by",
        "claimed_at",
        "opted_out_at",
        "created_at",
    )
    fields = (
        "provider",
        "user_id",
        "handle",
        "name",
        "handle_checked_at",
        "pool",
        "held",
        "thing",
        "claimed_by",
        "claimed_at",
        "notices_opted_out",
        "flattrs_opted_out",
        "opted_out_at",
        "created_at",
    )
    actions = ("send_due_notices",)

    def get_queryset(self, request):
        from payments.models import Share

        donors = (
            Share.objects.filter(payee_id=OuterRef("pool_id"), state=Share.State.HELD)
            .order_by()
            .values("payee_id")
            .annotate(n=Count("donor_id", distinct=True))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                held_donors=Subquery(donors),
                notices_sent=Count("notices", filter=Q(notices__state="sent"), distinct=True),
            )
        )

    def has_add_permission(self, request) -> bool:
        return False  # accounts come from X lookups, never typed in

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # they own a ledger account and a thing

    @admin.display(description=_("held"), ordering="pool__balance")
    def held(self, obj) -> str:
        return format_cents(obj.pool.balance)

    @admin.display(description=_("donors"), ordering="held_donors")
    def donors(self, obj) -> int:
        return obj.held_donors or 0

    @admin.display(description=_("notices sent"), ordering="notices_sent")
    def notice_count(self, obj) -> int:
        return obj.notices_sent

    @admin.action(description=_("Post the owner notices that are due now"))
    def send_due_notices(self, request, queryset):
        sent = 0
        for account in queryset:
            notice = services.notice_send(account_id=account.pk)
            sent += notice is not None and notice.state == OwnerNotice.State.SENT
        self.message_user(
            request,
            ngettext("%(n)d notice posted.", "%(n)d notices posted.", sent) % {"n": sent},
            messages.SUCCESS,
        )


@admin.register(OwnerNotice)
class OwnerNoticeAdmin(MoneyAdminMixin, admin.ModelAdmin):
    money_fields = ("pool_cents",)
    list_display = ("created_at", "handle", "state", "amount", "donors", "tweet_id", "sent_at")
    list_filter = ("state",)
    search_fields = ("handle", "text", "tweet_id")
    date_hierarchy = "created_at"
    list_select_related = ("account",)
    readonly_fields = (
        "account",
        "handle",
        "text",
        "pool_cents",
        "donors",
        "state",
        "tweet_id",
        "error",
        "created_at",
        "sent_at",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("held"), ordering="pool_cents")
    def amount(self, obj) -> str:
        return format_cents(obj.pool_cents)


@admin.register(HandleHistory)
class HandleHistoryAdmin(admin.ModelAdmin):
    list_display = ("handle", "account", "first_seen_at", "last_seen_at")
    search_fields = ("handle", "account__user_id", "account__handle")
    list_select_related = ("account",)
    readonly_fields = ("account", "handle", "first_seen_at", "last_seen_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PendingHandle)
class PendingHandleAdmin(admin.ModelAdmin):
    list_display = ("handle", "state", "created_at", "attempts", "last_error", "account")
    list_filter = ("state",)
    search_fields = ("handle",)
    readonly_fields = (
        "handle",
        "state",
        "thing",
        "pool",
        "account",
        "attempts",
        "last_error",
        "created_at",
        "resolved_at",
    )
    actions = ("resolve_now",)

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Ask X again now"))
    def resolve_now(self, request, queryset):
        outcomes = [services.pending_handle_resolve(pending_id=p.pk) for p in queryset]
        self.message_user(request, ", ".join(outcomes) or "-", messages.INFO)


@admin.register(ProofCode)
class ProofCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "account", "user", "state", "created_at", "expires_at", "verified_by")
    list_filter = ("state",)
    search_fields = ("code", "account__handle", "user__username")
    fields = (
        "code", "account", "user", "state", "created_at", "expires_at", "checked_at", "used_at",
        "verified_by", "reason",
    )  # fmt: skip
    readonly_fields = tuple(f for f in fields if f != "reason")
    actions = ["verify_by_hand"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Verify by hand (type the reason on each code first)"))
    def verify_by_hand(self, request, queryset) -> None:
        for code in queryset:
            try:
                proof_code_verify_by_hand(code_id=code.pk, admin=request.user, reason=code.reason)
            except FlattrError as error:
                self.message_user(request, f"{code.code}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{code.code}: {code.account.label}", messages.SUCCESS)
