"""The user's own profile settings and language. The public profile is core's
(flattr.public_views.profile): it shows things and flattrs."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.adapter import language_cookie_set
from accounts.forms import ProfileForm
from accounts.services import preferred_language_set, profile_update


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = profile_update(form=form)
        translation.activate(user.preferred_language)
        messages.success(request, _("Your profile was saved."))
        response = redirect("account_settings")
        language_cookie_set(response, language=user.preferred_language)
        return response
    return render(request, "accounts/profile_edit.html", {"form": form})


def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and for a logged-in user also their preferred language, so the
    choice follows them to every device and into their emails."""
    from django.views.i18n import set_language

    response = set_language(request)
    language = request.POST.get("language", "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
    ):
        preferred_language_set(user=request.user, language=language)
    return response
