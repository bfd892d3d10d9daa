"""Forms of the core app. Validation rules live in flattr.services (FIELD_CLEANERS); the form
runs each one and shows its error beside the right field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from flattr.errors import FlattrError
from flattr.languages import DEFAULT_LANGUAGE, language_choices
from flattr.models import DESCRIPTION_MAX, TITLE_MAX, URL_MAX, Thing
from flattr.services import FIELD_CLEANERS

# Refuse absurd input before running the rules on it (a 10,000-character title is an error,
# not a string to normalize); the precise limits are the service's.
_SLACK = 10


class ThingForm(forms.Form):
    url = forms.CharField(
        label=_("Address (URL)"),
        max_length=URL_MAX + _SLACK,
        help_text=_("The full address of the page, starting with https:// or http://."),
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "url"}),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        help_text=_("5 to 100 characters."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Up to 1000 characters."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Thing.Category.choices)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separated by commas, for example: podcast, music"),
    )
    language = forms.ChoiceField(label=_("Language"), initial=DEFAULT_LANGUAGE)
    hidden = forms.BooleanField(
        label=_("Hidden"),
        required=False,
        help_text=_(
            "A hidden thing is left out of explore and search, as on Flattr; its page and its "
            "buttons keep working for anybody with the link, and flattrs still count."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices()
        self.fields["title"].widget.attrs["minlength"] = 5

    def _clean_with(self, name: str):
        try:
            return FIELD_CLEANERS[name](self.cleaned_data.get(name, ""))
        except FlattrError as error:
            raise forms.ValidationError(error.message, code=error.code) from error

    def clean_url(self) -> str:
        return self._clean_with("url")

    def clean_title(self) -> str:
        return self._clean_with("title")

    def clean_description(self) -> str:
        return self._clean_with("description")

    def clean_category(self) -> str:
        return self._clean_with("category")

    def clean_tags(self) -> list[str]:
        return self._clean_with("tags")

    def clean_language(self) -> str:
        return self._clean_with("language")

    def add_flattr_error(self, error: FlattrError) -> None:
        """Show a service's refusal beside its field (or above the form)."""
        self.add_error(error.field if error.field in self.fields else None, error.message)

    @classmethod
    def initial_for(cls, thing: Thing) -> dict:
        return {
            "url": thing.url,
            "title": thing.title,
            "description": thing.description,
            "category": thing.category,
            "tags": ", ".join(thing.tags),
            "language": thing.language,
            "hidden": thing.hidden,
        }


class SubscriptionForm(forms.Form):
    months = forms.TypedChoiceField(coerce=int, choices=[(3, "3"), (6, "6"), (12, "12")])
