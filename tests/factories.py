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


def fund_user(user: User, *, budget_cents: int = 500, funds_cents: int = 1000) -> User:
    """Give the user a monthly budget and funds (a deposit via the ledger), so they may flattr."""
    from payments.models import Budget, LedgerAccount, Transfer
    from payments.services import system_account, transfer_post, user_account

    Budget.objects.update_or_create(user=user, defaults={"monthly_cents": budget_cents})
    if funds_cents:
        transfer_post(
            key=f"test-deposit:{user.pk}:{next(_counter)}",
            kind=Transfer.Kind.DEPOSIT,
            debit=system_account(LedgerAccount.Kind.STRIPE),
            credit=user_account(user, LedgerAccount.Kind.FUNDS),
            amount_cents=funds_cents,
        )
    return user


def make_thing(*, owner: User | None = None, **fields):
    """Create a thing through flattr.services.thing_create (a new owner unless given)."""
    from flattr.services import thing_create

    n = next(_counter)
    owner = owner or make_user(username=f"publisher{n}")
    fields.setdefault("url", f"https://blog.example.org/posts/{n}")
    fields.setdefault("title", f"Post number {n}")
    return thing_create(owner=owner, **fields)
