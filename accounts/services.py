"""Writes of accounts: profiles. Mail is accounts/mail.py."""

from django.db import transaction

from accounts.forms import ProfileForm
from accounts.models import User


@transaction.atomic
def profile_update(*, form: ProfileForm) -> User:
    """Save a validated profile form."""
    return form.save()


@transaction.atomic
def preferred_language_set(*, user: User, language: str) -> None:
    """Remember the language the user picked in the footer as their profile's language."""
    User.objects.filter(pk=user.pk).update(preferred_language=language)
    user.preferred_language = language
