"""Privacy settings: what the public profile shows, and whether search engines and explore may
list it. Also the one-time question, on a donor's first flattr, whether to be shown as a
supporter (nobody is public by default)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User

PRIVACY_FIELDS = (
    "show_as_supporter",
    "show_giving",
    "show_receiving",
    "show_supporters",
    "profile_noindex",
    "explore_hidden",
)


class PrivacyForm(forms.ModelForm):
    class Meta:
        model = User
        fields = PRIVACY_FIELDS
        help_texts = {
            "show_as_supporter": gettext_lazy(
                "Your name appears in the supporter lists of things you flattr. Otherwise you "
                "are counted, not named."
            ),
            "show_giving": gettext_lazy("Your profile lists the things you flattred last month."),
            "show_receiving": gettext_lazy(
                "Your profile lists your things and how often they were flattred."
            ),
            "show_supporters": gettext_lazy(
                "Your profile names the supporters who chose to be shown, and counts the rest."
            ),
            "profile_noindex": gettext_lazy(
                "Search engines are asked not to index your profile, and it leaves the sitemap."
            ),
            "explore_hidden": gettext_lazy(
                "Your things stay reachable by their link and button, but explore and search do "
                "not list them or your profile."
            ),
        }


@transaction.atomic
def privacy_update(*, user: User, form: PrivacyForm) -> User:
    """Save a validated privacy form."""
    return form.save()


@transaction.atomic
def supporter_choice_set(*, user: User, show: bool) -> None:
    """Record the donor's answer to "show me as a supporter?" (asked once, on the first flattr)."""
    User.objects.filter(pk=user.pk).update(show_as_supporter=show, supporter_asked=True)
    user.show_as_supporter, user.supporter_asked = show, True


@login_required
def privacy_settings(request: HttpRequest) -> HttpResponse:
    form = PrivacyForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        privacy_update(user=request.user, form=form)
        messages.success(request, _("Your privacy settings were saved."))
        return redirect("account_privacy")
    return render(request, "accounts/privacy.html", {"form": form})
