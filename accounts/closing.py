"""The people side of closing an account: the request, and erasing the personal fields.

The user row itself stays (ledger accounts, shares and flattrs point at it, and accounting
records must be kept), but after the grace period nothing on it identifies a person: the
username becomes `closed-<id>`, names, email, about, website and password are gone, and so are
allauth's email addresses and 2FA devices. The account is inactive from the moment closing
starts, so Django's auth backends no longer accept its sessions.
"""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.models import User


@transaction.atomic
def account_closing_start(*, user: User) -> User:
    """Mark the account closing now and deactivate it (it can no longer log in)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.closing_requested_at is None:
        locked.closing_requested_at = timezone.now()
        locked.is_active = False
        locked.save(update_fields=["closing_requested_at", "is_active"])
    return locked


def accounts_due_for_erasure(*, now: dt.datetime | None = None) -> QuerySet[User]:
    """Return the closing accounts whose grace period is over and that are not erased yet."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.CLOSING_GRACE_DAYS)
    return User.objects.filter(closing_requested_at__lte=cutoff, erased_at__isnull=True)


@transaction.atomic
def accounts_erase(*, user_ids: list[int]) -> int:
    """Erase the personal fields of these closing accounts, set-based; return how many."""
    users = User.objects.filter(
        pk__in=user_ids, closing_requested_at__isnull=False, erased_at__isnull=True
    )
    ids = list(users.select_for_update().values_list("pk", flat=True))
    if not ids:
        return 0
    EmailAddress.objects.filter(user_id__in=ids).delete()
    Authenticator.objects.filter(user_id__in=ids).delete()
    User.objects.filter(pk__in=ids).update(
        username=Concat(Value("closed-"), Cast("id", output_field=CharField())),
        email="",
        first_name="",
        last_name="",
        display_name="",
        about="",
        website="",
        password=make_password(None),
        is_active=False,
        is_staff=False,
        is_superuser=False,
        show_as_supporter=False,
        show_giving=False,
        show_receiving=False,
        show_supporters=False,
        explore_hidden=True,
        profile_noindex=True,
        erased_at=timezone.now(),
    )
    return len(ids)
