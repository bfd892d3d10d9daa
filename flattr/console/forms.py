"""The console's one-field forms: every admin action asks only why."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountMark
from accounts.moderation import REASON_MAX


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        strip=True,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": _("why (recorded)")}),
    )


class MarkForm(ReasonForm):
    """The reason is the one field; the mark comes from the button pressed."""

    kind = forms.ChoiceField(choices=AccountMark.Kind.choices, widget=forms.HiddenInput)


class SearchForm(forms.Form):
    TERM_MAX = 300  # longer input is cut, not refused: a pasted URL may be long

    q = forms.CharField(
        label=_("Find a user"),
        required=False,
        widget=forms.SearchInput(
            attrs={"size": 50, "placeholder": _("email, username, URL, @handle or network")}
        ),
    )

    def clean_q(self) -> str:
        return self.cleaned_data["q"][: self.TERM_MAX].strip()


class MonthForm(forms.Form):
    month = forms.RegexField(regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False, max_length=7)
