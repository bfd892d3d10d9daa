"""Profile pages: the public profile and the user's own settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.adapter import language_cookie_set
from accounts.forms import ProfileForm
from accounts.selectors import user_get_public_or_404
from accounts.services import profile_update


def profile_detail(request: HttpRequest, username: str) -> HttpResponse:
    profile = user_get_public_or_404(username=username)
    return render(request, "accounts/profile_detail.html", {"profile": profile})


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
