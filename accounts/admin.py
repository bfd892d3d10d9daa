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
    )
    list_display = ("username", "email", "display_name", "is_active", "is_staff", "date_joined")
    list_filter = (*DjangoUserAdmin.list_filter, "preferred_language", "email_notifications")
    search_fields = ("username", "email", "display_name")
