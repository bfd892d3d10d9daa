from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


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
    )
    readonly_fields = ("closing_requested_at", "erased_at")
    list_display = ("username", "email", "display_name", "is_active", "is_staff", "date_joined")
    list_filter = (
        *DjangoUserAdmin.list_filter,
        "preferred_language",
        "email_notifications",
        ("closing_requested_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("username", "email", "display_name")
