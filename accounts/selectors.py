"""Reads of accounts."""

from django.shortcuts import get_object_or_404

from accounts.models import User


def user_get_public_or_404(*, username: str) -> User:
    """Return the active user with this username, or raise Http404."""
    return get_object_or_404(User, username=username, is_active=True)
