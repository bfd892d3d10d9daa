"""Expiry: held shares older than UNCLAIMED_HOLD_DAYS go back to their own donors' funds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from payments.models import Share, Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.factories import make_user
from tests.twitter_claims.journeys import donors_flattr, make_donor, payday_for
from twitter_claims import services, tasks
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db

MARCH, APRIL = dt.date(2025, 3, 1), dt.date(2025, 4, 1)


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def funds(user) -> int:
    return balances_for_user(user)["funds"]


def test_expiry_returns_to_each_donor_exactly_their_shares_and_tells_them(
    fake_x, django_capture_on_commit_callbacks
):
    # Different budgets, so a mix-up between donors would show.
    small, big = make_donor(budget=300, funds=5000), make_donor(budget=2000, funds=5000)
    donors_flattr("alice", donors=[small, big])
    donors_flattr("carol", donors=[big])
    payday_for(MARCH, started_at=days_ago(181))
    before = {small.pk: funds(small), big.pk: funds(big)}
    given = {
        (s.donor_id, s.thing.platform_account.handle): s.amount
        for s in Share.objects.select_related("thing__platform_account")
    }
    assert given == {(small.pk, "alice"): 270, (big.pk, "alice"): 900, (big.pk, "carol"): 900}
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = services.pools_expire()

    assert (result.shares, result.donors, result.amount_cents) == (3, 2, 2070)
    assert funds(small) - before[small.pk] == 270
    assert funds(big) - before[big.pk] == 1800
    assert all(a.pool.balance == 0 for a in PlatformAccount.objects.select_related("pool"))
    assert set(Share.objects.values_list("state", flat=True)) == {"returned"}
    keys = set(Transfer.objects.filter(kind="expiry").values_list("key", flat=True))
    assert keys == {f"expiry:{pk}" for pk in Share.objects.values_list("pk", flat=True)}
    assert ledger_check() == []

    by_donor = {m.to[0]: m for m in mail.outbox}
    assert set(by_donor) == {small.email, big.email}
    assert "@alice: €2.70" in by_donor[small.email].body
    assert "@alice: €9.00" in by_donor[big.email].body
    assert "@carol: €9.00" in by_donor[big.email].body
    assert "€18.00 went back" in by_donor[big.email].subject


def test_expiry_is_idempotent(fake_x):
    donors_flattr("alice", count=2)
    payday_for(MARCH, started_at=days_ago(200))
    assert services.pools_expire().shares == 2
    assert services.pools_expire().shares == 0
    assert tasks.pools_expire.delay().get() == 0
    assert Transfer.objects.filter(kind="expiry").count() == 2
    assert ledger_check() == []


def test_only_shares_older_than_the_hold_period_expire(fake_x, settings):
    settings.UNCLAIMED_HOLD_DAYS = 180
    donors_flattr("alice", count=2)
    payday_for(MARCH, started_at=days_ago(179))
    donors_flattr("alice", count=1)
    payday_for(APRIL, started_at=days_ago(181))
    assert services.pools_expire().shares == 1
    assert list(Share.objects.filter(state="held").values_list("month", flat=True)) == [
        MARCH,
        MARCH,
    ]


def test_a_later_claim_receives_only_what_expiry_left(client, fake_x):
    early = donors_flattr("alice", count=2)
    payday_for(MARCH, started_at=days_ago(200))
    late = donors_flattr("alice", count=1)
    payday_for(APRIL, started_at=days_ago(20))
    services.pools_expire()
    account = PlatformAccount.objects.select_related("pool").get(user_id="42")
    assert account.pool.balance == 900

    owner = make_user()
    result = services.pool_claim(account_id=account.pk, user=owner)
    assert (result.amount_cents, result.shares, result.donors) == (900, 1, 1)
    assert balances_for_user(owner)["earnings"] == 900
    states = dict(Share.objects.values_list("donor_id", "state"))
    assert [states[d.pk] for d in early] == ["returned", "returned"]
    assert states[late[0].pk] == "claimed"
    assert ledger_check() == []


def test_shares_paid_to_claimed_accounts_never_expire(fake_x):
    owner = make_user()
    donors_flattr("alice", count=2)
    account = PlatformAccount.objects.get(user_id="42")
    services.pool_claim(account_id=account.pk, user=owner)
    payday_for(MARCH, started_at=days_ago(400))
    assert services.pools_expire().shares == 0
    assert balances_for_user(owner)["earnings"] == 1800


def test_the_account_page_counts_down_to_the_oldest_shares_return(client, fake_x):
    donors_flattr("alice", count=2)
    started = days_ago(30)
    payday_for(MARCH, started_at=started)
    response = client.get("/twitter/alice/")
    returns_on = (started + dt.timedelta(days=180)).date()
    assert response.status_code == 200
    body = response.content.decode()
    assert "€18.00" in body
    assert returns_on.strftime("%B") in body and str(returns_on.year) in body
