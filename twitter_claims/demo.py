"""Demo data for `make run`: two Twitter/X accounts that never joined, @carol and @dave (users of
the fake X provider), with money held for them from three demo donors, so a newcomer can follow
the claim in the browser: open /twitter/carol/, "Sign in with Twitter to claim", pick @carol on
the fake X, choose a username and email, and see what was credited.

@alice (42) and @bob (7) are left untouched for trying a flattr from the dashboard."""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from flattr.models import Flattr
from payments.models import LedgerAccount, Transfer
from payments.months import month_add
from payments.payday import payday_run
from payments.services import budget_set, system_account, transfer_post, user_account
from twitter_claims import services
from twitter_claims.models import PlatformAccount
from twitter_claims.x_gateway import XUser

DEMO_PASSWORD = "flattr-demo"
DEMO_ACCOUNTS = [XUser(id="1001", username="carol", name="Carol"), XUser("1002", "dave", "Dave")]
# (username, monthly budget in cents, handles flattred in the demo month)
DEMO_DONORS = [
    ("ben", 1000, ["carol", "dave"]),
    ("cleo", 500, ["carol"]),
    ("dana", 2000, ["carol", "dave"]),
]


def _demo_month(today: dt.date) -> dt.date:
    """Two months back: closed, and clear of the month other demo paydays use."""
    return month_add(today, -2)


def _donor(username: str, budget_cents: int):
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(
            username, f"{username}@example.org", DEMO_PASSWORD, display_name=username.title()
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    budget_set(user=user, monthly_cents=budget_cents, use_earnings=False, unused_to_charity=False)
    transfer_post(
        key=f"demo:twitter:deposit:{username}",
        kind=Transfer.Kind.DEPOSIT,
        debit=system_account(LedgerAccount.Kind.STRIPE),
        credit=user_account(user, LedgerAccount.Kind.FUNDS),
        amount_cents=5 * budget_cents,
        memo="demo deposit",
    )
    return user


def load(stdout) -> None:
    """Create the demo accounts, donors, flattrs and the payday that fills the pools, once."""
    if PlatformAccount.objects.filter(user_id__in=[a.id for a in DEMO_ACCOUNTS]).exists():
        stdout.write("Twitter/X demo data already loaded.")
        return
    month = _demo_month(timezone.now().date())
    with transaction.atomic():
        accounts = {a.username: services.account_for_x_user(x_user=a) for a in DEMO_ACCOUNTS}
        when = dt.datetime(month.year, month.month, 10, 12, tzinfo=dt.UTC)
        for username, budget, handles in DEMO_DONORS:
            donor = _donor(username, budget)
            for handle in handles:
                Flattr.objects.create(
                    donor=donor, thing=accounts[handle].thing, month=month, source="site"
                )
        Flattr.objects.filter(month=month, thing__platform_account__isnull=False).update(
            created_at=when
        )
    payday_run(month=month)
    held = {
        a.handle: a.pool.balance
        for a in PlatformAccount.objects.select_related("pool").filter(
            user_id__in=[a.id for a in DEMO_ACCOUNTS]
        )
    }
    stdout.write(
        "Twitter/X demo: held for "
        + ", ".join(f"@{h} {c / 100:.2f}" for h, c in sorted(held.items()))
        + f" (payday {month:%Y-%m}); donors ben, cleo, dana / {DEMO_PASSWORD}. "
        "Claim at http://127.0.0.1:8000/twitter/carol/"
    )
