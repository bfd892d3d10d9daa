"""The API's pages: the developer page (register applications, secret shown once), the user's
API access (authorised applications with revoke, personal access tokens) and webhooks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from oauth2_provider.models import AccessToken, Application

from flattr.api import services
from flattr.api import webhooks as hooks
from flattr.api.auth import SCOPES
from flattr.api.models import Webhook, WebhookDelivery
from flattr.errors import FlattrError

DELIVERIES_SHOWN = 30


def _id(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else 0


@login_required
@require_http_methods(["GET", "POST"])
def apps(request: HttpRequest) -> HttpResponse:
    """Register OAuth applications; the client secret is shown once, right after."""
    created = None
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delete":
                services.application_delete(
                    user=request.user, application_id=_id(request, "application")
                )
                messages.success(request, _("The application was deleted."))
                return redirect("api_apps")
            created = services.application_create(
                user=request.user,
                name=request.POST.get("name", "")[:200],
                callback_url=request.POST.get("callback_url", "")[:2000],
            )
        except FlattrError as error:
            messages.error(request, error.message)
            status = 400
    context = {
        "applications": Application.objects.filter(user=request.user).order_by("-created"),
        "created": created,
        "form": request.POST if status == 400 else {},
    }
    return render(request, "flattr_api/apps.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def access(request: HttpRequest) -> HttpResponse:
    """Authorised applications (revoke) and personal access tokens (create, revoke)."""
    new_token = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "revoke_app":
                services.authorization_revoke(
                    user=request.user, application_id=_id(request, "application")
                )
                messages.success(request, _("The application can no longer act for you."))
                return redirect("api_access")
            if action == "revoke_token":
                services.personal_token_revoke(user=request.user, token_id=_id(request, "token"))
                messages.success(request, _("The token was revoked."))
                return redirect("api_access")
            new_token = services.personal_token_create(
                user=request.user, scopes=request.POST.getlist("scopes")
            )
        except FlattrError as error:
            messages.error(request, error.message)
            status = 400
    authorised = (
        AccessToken.objects.filter(user=request.user, application__isnull=False)
        .values("application_id", "application__name")
        .annotate(tokens=Count("id"), last=Max("created"))
        .order_by("application__name")
    )
    context = {
        "authorised": authorised,
        "tokens": AccessToken.objects.filter(user=request.user, application__isnull=True).order_by(
            "-created"
        ),
        "new_token": new_token,
        "scopes": SCOPES,
    }
    return render(request, "flattr_api/access.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delete":
                hooks.webhook_delete(user=request.user, webhook_id=_id(request, "webhook"))
                messages.success(request, _("The webhook was deleted."))
                return redirect("api_webhooks")
            app_id = _id(request, "application")
            application = (
                Application.objects.filter(pk=app_id, user=request.user).first() if app_id else None
            )
            if app_id and application is None:
                raise FlattrError("not_found")
            hooks.webhook_create(
                user=request.user,
                url=request.POST.get("url", "")[:2100],
                events=request.POST.getlist("events"),
                application=application,
            )
            messages.success(request, _("The webhook was added. Its signing secret is below."))
            return redirect("api_webhooks")
        except FlattrError as error:
            messages.error(request, error.message)
            status = 400
    registered = (
        Webhook.objects.filter(user=request.user).select_related("application").order_by("id")
    )
    deliveries = (
        WebhookDelivery.objects.filter(webhook__user=request.user)
        .select_related("webhook")
        .order_by("-created_at", "-id")[:DELIVERIES_SHOWN]
    )
    context = {
        "hooks": registered,
        "deliveries": deliveries,
        "events": Webhook.Event.choices,
        "applications": Application.objects.filter(user=request.user).order_by("name"),
    }
    return render(request, "flattr_api/webhooks.html", context, status=status)


@login_required
@require_POST
def delivery_replay_view(request: HttpRequest, delivery_id: int) -> HttpResponse:
    try:
        hooks.delivery_replay(user=request.user, delivery_id=delivery_id)
    except FlattrError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The delivery was sent again."))
    return redirect("api_webhooks")
