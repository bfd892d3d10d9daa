"""Plain factory functions for tests: `make_user(...)` and friends."""

import itertools

from allauth.account.models import EmailAddress

from accounts.models import User

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple 42"


def make_user(*, username: str | None = None, email: str | None = None, **fields) -> User:
    """Create an active user with a verified primary email and the password PASSWORD."""
    n = next(_counter)
    username = username or f"user{n}"
    email = email or f"{username}@example.org"
    user = User.objects.create_user(username=username, email=email, password=PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user
