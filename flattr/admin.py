"""Admin for things, flattrs and subscriptions: review, ban and look things up.

Banning records who and why (flattr.moderation); the reason is typed in the action bar.
Flattrs are read-only here: a click is the donor's, and removing it goes through
flattr.services.flattr_remove (the donor's dashboard) so counts and caches stay right.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.moderation import ModerationError
from flattr.models import Flattr, LegacyFlattrId, Subscription, Thing
from flattr.moderation import thing_ban


class ReasonActionForm(helpers.ActionForm):
    """The changelist's action bar with a reason, which every moderation action records."""

    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


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
    action_form = ReasonActionForm
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_flattr_count=Count("flattrs"))

    @admin.display(description=_("flattrs"), ordering="_flattr_count")
    def flattr_count(self, thing: Thing) -> int:
        return thing._flattr_count

    def _moderate(self, request, queryset, service, **flags) -> None:
        """Call the moderation service for each selected thing with the reason typed above
        the list (an admin selection is a page of rows, not a set job)."""
        reason = request.POST.get("reason", "")
        done = 0
        for thing in queryset.select_related("owner"):
            try:
                service(thing=thing, by=request.user, reason=reason, **flags)
            except ModerationError as error:
                messages.error(request, error.message)
                return
            done += 1
        messages.success(
            request,
            ngettext("%(n)d thing updated.", "%(n)d things updated.", done) % {"n": done},
        )

    @admin.action(description=_("Ban: hide everywhere and skip on payday"))
    def ban(self, request, queryset) -> None:
        self._moderate(request, queryset, thing_ban, banned=True)

    @admin.action(description=_("Lift the ban"))
    def unban(self, request, queryset) -> None:
        self._moderate(request, queryset, thing_ban, banned=False)


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
