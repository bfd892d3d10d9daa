"""Webhooks and their deliveries in the admin: webhooks editable (switch one off), deliveries
read-only (they are the log)."""

from django.contrib import admin

from flattr.api.models import Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("url", "user", "application", "events", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "user__username", "user__email")
    raw_id_fields = ("user", "application")
    readonly_fields = ("secret", "created_at")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "webhook", "state", "attempts", "response_status", "created_at")
    list_filter = ("state", "event")
    search_fields = ("webhook__url", "webhook__user__username")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
