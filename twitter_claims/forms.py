"""Forms of twitter_claims: flattr a handle, the short account step after signing in with
Twitter, and the opt-out choice."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from twitter_claims.errors import TwitterError
from twitter_claims.services import OPT_OUT_CHOICES, handle_normalize


class HandleForm(forms.Form):
    handle = forms.CharField(
        label=_("Twitter/X handle"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "@handle", "autocomplete": "off"}),
    )

    def clean_handle(self) -> str:
        try:
            return handle_normalize(self.cleaned_data["handle"])
        except TwitterError as error:
            raise forms.ValidationError(error.message, code=error.code) from error


class AccountStepForm(forms.Form):
    """The one short step that turns a Twitter sign-in into a Flattr account."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Your public name on Flattr, in your profile link."),
    )
    email = forms.EmailField(
        label=_("Email"),
        help_text=_("We send a link to confirm it. We never show it to anyone."),
    )

    def clean_username(self) -> str:
        # allauth's checks: allowed characters, length, blacklist and uniqueness.
        return get_adapter().clean_username(self.cleaned_data["username"])

    def clean_email(self) -> str:
        email = get_adapter().clean_email(self.cleaned_data["email"]).strip()
        taken = (
            EmailAddress.objects.filter(email__iexact=email).exists()
            or get_user_model().objects.filter(email__iexact=email).exists()
        )
        if taken:
            raise forms.ValidationError(
                _(
                    "This email address belongs to a Flattr account already. Log in to that "
                    "account and connect Twitter from there."
                ),
                code="email_taken",
            )
        return email


class OptOutForm(forms.Form):
    CHOICES = [
        ("notices", _("Stop messages from Flattr about money held for me")),
        ("all", _("Stop messages and refuse new flattrs")),
        ("none", _("Undo an earlier opt-out: messages and flattrs are welcome")),
    ]
    choice = forms.ChoiceField(
        label=_("What would you like?"),
        choices=CHOICES,
        widget=forms.RadioSelect,
        initial="notices",
    )

    def clean_choice(self) -> str:
        choice = self.cleaned_data["choice"]
        if choice not in OPT_OUT_CHOICES:
            raise forms.ValidationError(_("Choose one of the options."))
        return choice


def username_suggest(handle: str) -> str:
    """Return a free username close to the X handle (lower-cased, padded to the minimum)."""
    from django.conf import settings

    base = handle.lower()
    minimum = getattr(settings, "ACCOUNT_USERNAME_MIN_LENGTH", 3)
    if len(base) < minimum:
        base = (base + "_x" * minimum)[:minimum]
    users = get_user_model().objects
    candidate, n = base, 1
    while users.filter(username__iexact=candidate).exists() and n < 100:
        n += 1
        candidate = f"{base}{n}"
    return candidate
