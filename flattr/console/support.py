"""The support page's reads: find a user from whatever the operator has (an email, a username,
a URL, an @handle, a network) and gather what support needs to see about them.

In the manner of Zulip's support view: one search box, then everything about the account on
one page, each action a small form beside what it changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.urls import Resolver404, resolve

from accounts.models import User
from accounts.moderation import admin_actions_for_user, marks_for_user
from flattr.console.registry import support_finders
from flattr.models import Flattr, Thing
from flattr.urls_normalize import url_normalize
from payments.fraud import fraud_return_due
from payments.models import Deposit, Payout
from payments.selectors import balances_for_user, budget_get, payout_standing

RESULTS_MAX = 20
ROWS_SHOWN = 20
TERM_MAX = 300
_NETWORK = re.compile(r"^[0-9a-fA-F:.]+/\d{1,3}$")


def _users(ids) -> list[User]:
    return list(User.objects.filter(pk__in=ids).order_by("username")[:RESULTS_MAX])


def _our_host(host: str | None) -> bool:
    """Return whether a URL with this host is one of this site's pages (or just a path)."""
    if not host:
        return True
    ours = {urlsplit(settings.SITE_URL).hostname, *settings.ALLOWED_HOSTS} - {"*"}
    return host.lower() in {name.lstrip(".").lower() for name in ours if name}


def _from_url(term: str) -> list[User]:
    """A profile or thing page of ours, or the web address of a submitted thing."""
    parts = urlsplit(term)
    match = None
    if _our_host(parts.hostname):
        try:
            match = resolve(parts.path or "/")
        except Resolver404:
            match = None
    if match is not None and "username" in match.kwargs:  # a profile, old or new address
        return _users(
            User.objects.filter(username=match.kwargs["username"]).values_list("pk", flat=True)
        )
    if match is not None and "thing_id" in match.kwargs:
        owners = Thing.objects.filter(pk=match.kwargs["thing_id"]).values_list(
            "owner_id", flat=True
        )
        return _users(owners)
    try:
        normalized = url_normalize(term)
    except Exception:
        return []
    return _users(
        Thing.objects.filter(url=normalized, owner__isnull=False).values_list("owner_id", flat=True)
    )


def support_find(term: str) -> list[User]:
    """Return the users `term` points at, best matches first (at most RESULTS_MAX)."""
    term = (term or "").strip()[:TERM_MAX]
    if not term:
        return []
    for finder in support_finders():  # platform handles and profile URLs
        ids = finder(term)
        if ids:
            return _users(ids)
    if term.startswith(("http://", "https://")) or term.startswith("/"):
        return _from_url(term)
    if _NETWORK.match(term):
        return _users(User.objects.filter(signup_network=term).values_list("pk", flat=True))
    if "@" in term and not term.startswith("@"):
        return _users(
            User.objects.filter(Q(email__iexact=term) | Q(emailaddress__email__iexact=term)).values(
                "pk"
            )
        )
    exact = User.objects.filter(username__iexact=term.lstrip("@")).first()
    if exact is not None:
        return [exact]
    return list(
        User.objects.filter(
            Q(username__icontains=term) | Q(email__icontains=term) | Q(display_name__icontains=term)
        ).order_by("username")[:RESULTS_MAX]
    )


@dataclass(frozen=True)
class SupportProfile:
    user: User
    balances: dict[str, int]
    budget_cents: int
    marks: list
    actions: list
    flattrs_given: list[Flattr]
    things: list[Thing]
    deposits: list[Deposit]
    payouts: list[Payout]
    payable_cents: int
    fraud_return_cents: int
    fraud_return_donors: int


def support_profile(user: User) -> SupportProfile:
    """Return everything the support page shows about one account, in a fixed number of
    queries whatever the account's size."""
    due = fraud_return_due(user)
    return SupportProfile(
        user=user,
        balances=balances_for_user(user),
        budget_cents=budget_get(user).monthly_cents,
        marks=marks_for_user(user),
        actions=admin_actions_for_user(user),
        flattrs_given=list(
            Flattr.objects.filter(donor=user)
            .select_related("thing")
            .order_by("-created_at", "-id")[:ROWS_SHOWN]
        ),
        things=list(Thing.objects.filter(owner=user).order_by("-created_at", "-id")[:ROWS_SHOWN]),
        deposits=list(Deposit.objects.filter(user=user).order_by("-created_at")[:ROWS_SHOWN]),
        payouts=list(
            Payout.objects.filter(user=user).order_by("-requested_at", "-id")[:ROWS_SHOWN]
        ),
        payable_cents=payout_standing(user).payable,
        fraud_return_cents=due.total_cents,
        fraud_return_donors=due.donors,
    )
