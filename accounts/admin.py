from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountMark, AdminAction, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Profile"),
            {
                "fields": (
                    "display_name",
                    "about",
                    "website",
                    "preferred_language",
                    "show_as_supporter",
                    "email_notifications",
                )
            },
        ),
        (
            _("Privacy"),
            {
                "fields": (
                    "supporter_asked",
                    "show_giving",
                    "show_receiving",
                    "show_supporters",
                    "profile_noindex",
                    "explore_hidden",
                )
            },
        ),
        (_("Closing"), {"fields": ("closing_requested_at", "erased_at")}),
        # Moderation changes only through the console's support page (a reason is recorded).
        (_("Moderation"), {"fields": ("suspended_at", "mark", "signup_network")}),
    )
    readonly_fields = (
        "closing_requested_at",
        "erased_at",
        "suspended_at",
        "mark",
        "signup_network",
        "last_login",
        "date_joined",
    )
    list_display = (
        "username",
        "email",
        "display_name",
        "is_active",
        "is_staff",
        "mark",
        "suspended_at",
        "date_joined",
    )
    list_filter = (
        *DjangoUserAdmin.list_filter,
        "mark",
        "preferred_language",
        "email_notifications",
        ("closing_requested_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("username", "email", "display_name", "=signup_network")


class InsertOnlyAdmin(admin.ModelAdmin):
    """The audit trail is read here and written only by accounts.moderation's services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AccountMark)
class AccountMarkAdmin(InsertOnlyAdmin):
    list_display = ("created_at", "user", "kind", "by", "reason")
    list_filter = ("kind",)
    search_fields = ("user__username", "user__email", "reason")
    list_select_related = ("user", "by")
    date_hierarchy = "created_at"


@admin.register(AdminAction)
class AdminActionAdmin(InsertOnlyAdmin):
    list_display = ("created_at", "actor", "action", "target_type", "target_label", "reason")
    list_filter = ("action", "target_type")
    search_fields = ("actor__username", "subject__username", "target_label", "reason")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"
