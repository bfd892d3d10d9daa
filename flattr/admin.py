"""Admin for things, flattrs and subscriptions: review, ban and look things up.

Flattrs are read-only here: a click is the donor's, and removing it goes through
flattr.services.flattr_remove (the donor's dashboard) so counts and caches stay right.
"""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from flattr.models import Flattr, LegacyFlattrId, Subscription, Thing
from flattr.selectors import button_key, count_cache_invalidate


@admin.register(Thing)
class ThingAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "owner",
        "category",
        "flattr_count",
        "hidden",
        "closed",
        "banned",
        "created_at",
    )
    list_filter = ("category", "hidden", "closed", "banned", "title_from_url", "language")
    search_fields = ("title", "url", "owner__username", "owner__email")
    raw_id_fields = ("owner", "payee")
    readonly_fields = ("created_at", "updated_at", "last_flattr_at")
    actions = ("ban", "unban")
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_flattr_count=Count("flattrs"))

    @admin.display(description=_("flattrs"), ordering="_flattr_count")
    def flattr_count(self, thing: Thing) -> int:
        return thing._flattr_count

    def _set_banned(self, request, queryset, banned: bool) -> None:
        rows = list(queryset.values_list("pk", "owner__username", "url"))
        queryset.update(banned=banned)
        count_cache_invalidate(
            thing_ids=[pk for pk, _username, _url in rows],
            button_keys=[button_key(uid=name, url=url) for _pk, name, url in rows if name],
        )
        messages.success(request, _("%(n)d things updated.") % {"n": len(rows)})

    @admin.action(description=_("Ban: hide everywhere and skip on payday"))
    def ban(self, request, queryset) -> None:
        self._set_banned(request, queryset, True)

    @admin.action(description=_("Lift the ban"))
    def unban(self, request, queryset) -> None:
        self._set_banned(request, queryset, False)


@admin.register(Flattr)
class FlattrAdmin(admin.ModelAdmin):
    list_display = ("donor", "thing", "month", "source", "created_at")
    list_filter = ("month", "source")
    search_fields = ("donor__username", "thing__title", "thing__url")
    raw_id_fields = ("donor", "thing")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("donor", "thing", "months", "first_month", "last_month", "cancelled_at")
    list_filter = ("months", "first_month")
    search_fields = ("donor__username", "thing__title")
    raw_id_fields = ("donor", "thing")


@admin.register(LegacyFlattrId)
class LegacyFlattrIdAdmin(admin.ModelAdmin):
    """Map an old Flattr id (numeric uid, 2016 fid) to the user who showed it is theirs.

    Buttons naming that id pay this user from then on, so map only on proof (an old Flattr
    mail, the id in markup on a site the user controls). Buttons see a change within a minute.
    """

    list_display = ("value", "kind", "user", "note", "created_at")
    list_filter = ("kind",)
    search_fields = ("value", "user__username", "user__email", "note")
    raw_id_fields = ("user",)
