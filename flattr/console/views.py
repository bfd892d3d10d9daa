"""The console's pages inside the admin: support, fraud review and CSV exports. Thin views:
parse, call one service with the acting admin, say what happened.

Mounted under /admin/console/ (flattr/urls.py) and wrapped in the admin site's login check;
actions also need the change permission on users (`accounts.change_user`).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from accounts.models import AccountMark, User
from accounts.moderation import (
    ModerationError,
    account_mark_add,
    user_suspend,
    user_unsuspend,
)
from flattr.console.forms import MarkForm, MonthForm, ReasonForm, SearchForm
from flattr.console.review import review_rows, review_window
from flattr.console.support import support_find, support_profile
from flattr.models import Thing
from flattr.moderation import thing_ban, thing_hide
from payments.errors import PaymentError
from payments.fraud import fraud_earnings_return
from payments.statement_export import statement_csv_response
from payments.templatetags.money import format_cents

ACTION_PERMISSION = "accounts.change_user"


def _context(request: HttpRequest, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


def _may_act(request: HttpRequest) -> None:
    if not request.user.has_perm(ACTION_PERMISSION):
        raise PermissionDenied


def _support_url(user: User) -> str:
    return reverse("console:support") + "?" + urlencode({"user": user.pk})


def support(request: HttpRequest) -> HttpResponse:
    """One search box; one result (or ?user=) shows the whole account."""
    form = SearchForm(request.GET)
    term = form.cleaned_data["q"] if form.is_valid() else ""
    results, profile = [], None
    user_id = request.GET.get("user", "")
    if user_id.isdigit():
        profile = support_profile(get_object_or_404(User, pk=int(user_id)))
    elif term:
        results = support_find(term)
        if len(results) == 1:
            profile = support_profile(results[0])
    context = _context(
        request,
        gettext("Support"),
        form=form,
        term=term,
        results=results,
        profile=profile,
        mark_kinds=AccountMark.Kind.choices,
        can_act=request.user.has_perm(ACTION_PERMISSION),
    )
    return TemplateResponse(request, "admin/console/support.html", context)


def _reason_or_message(request: HttpRequest, form_class=ReasonForm):
    form = form_class(request.POST)
    if form.is_valid():
        return form.cleaned_data
    messages.error(request, gettext("Say why: every admin action is recorded with a reason."))
    return None


@require_POST
def user_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    """Suspend, unsuspend, mark, or return a fraud-marked recipient's earnings."""
    _may_act(request)
    user = get_object_or_404(User, pk=user_id)
    data = _reason_or_message(request, MarkForm if action == "mark" else ReasonForm)
    if data is None:
        return HttpResponseRedirect(_support_url(user))
    try:
        done = _user_action_do(request, user, action, data)
    except (ModerationError, PaymentError) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(_support_url(user))


def _user_action_do(request: HttpRequest, user: User, action: str, data: dict) -> str:
    """Call the action's service as the acting admin; return what to tell them."""
    reason = data["reason"]
    if action == "suspend":
        user_suspend(user=user, by=request.user, reason=reason)
        return gettext("%(user)s is suspended.") % {"user": user.username}
    if action == "unsuspend":
        user_unsuspend(user=user, by=request.user, reason=reason)
        return gettext("%(user)s is no longer suspended.") % {"user": user.username}
    if action == "mark":
        mark = account_mark_add(user=user, kind=data["kind"], by=request.user, reason=reason)
        return gettext("%(user)s is marked: %(mark)s.") % {
            "user": user.username,
            "mark": mark.get_kind_display(),
        }
    if action == "fraud_return":
        returned = fraud_earnings_return(recipient=user, by=request.user, reason=reason)
        return gettext("%(amount)s returned to %(donors)s.") % {
            "amount": format_cents(returned.total_cents),
            "donors": ngettext("%(n)d donor", "%(n)d donors", returned.donors)
            % {"n": returned.donors},
        }
    raise PermissionDenied


THING_ACTIONS = {
    "ban": (thing_ban, {"banned": True}),
    "unban": (thing_ban, {"banned": False}),
    "hide": (thing_hide, {"hidden": True}),
    "unhide": (thing_hide, {"hidden": False}),
}


@require_POST
def thing_action(request: HttpRequest, thing_id: int, action: str) -> HttpResponse:
    """Ban, unban, hide or show a thing, with a reason."""
    _may_act(request)
    thing = get_object_or_404(Thing.objects.select_related("owner"), pk=thing_id)
    if action not in THING_ACTIONS:
        raise PermissionDenied
    back = _support_url(thing.owner) if thing.owner_id else reverse("admin:flattr_thing_changelist")
    data = _reason_or_message(request)
    if data is None:
        return HttpResponseRedirect(back)
    service, flags = THING_ACTIONS[action]
    try:
        service(thing=thing, by=request.user, reason=data["reason"], **flags)
    except ModerationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("%(thing)s: done.") % {"thing": thing.title})
    return HttpResponseRedirect(back)


def fraud(request: HttpRequest) -> HttpResponse:
    """What deserves a look this month (or ?month=YYYY-MM), each row linking to the account."""
    form = MonthForm(request.GET)
    month = None
    if form.is_valid() and form.cleaned_data["month"]:
        month = dt.date.fromisoformat(form.cleaned_data["month"] + "-01")
    window = review_window(month)
    context = _context(
        request,
        gettext("Fraud review"),
        window=window,
        rows=review_rows(window),
        month_value=f"{window.month:%Y-%m}",
    )
    return TemplateResponse(request, "admin/console/fraud.html", context)


def statement_csv(request: HttpRequest, user_id: int) -> HttpResponse:
    """A user's statement as CSV, the same file they download from their wallet."""
    user = get_object_or_404(User, pk=user_id)
    return statement_csv_response(user, filename_prefix=f"statement-{user.username}")
