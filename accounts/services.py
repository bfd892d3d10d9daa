"""Writes of accounts: profiles. Mail is accounts/mail.py."""

from django.db import transaction

from accounts.forms import ProfileForm
from accounts.models import User


@transaction.atomic
def profile_update(*, form: ProfileForm) -> User:
    """Save a validated profile form."""
    return form.save()
