"""Races: two people claiming the same X account at once, a claim against a running expiry, two
notice runs at once. Real threads, real PostgreSQL transactions and row locks."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from payments.models import Share, Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.factories import make_user
from tests.twitter_claims.conftest import local, oauth_start
from tests.twitter_claims.journeys import donors_flattr, payday_for
from twitter_claims import services
from twitter_claims.errors import TwitterError
from twitter_claims.models import OwnerNotice, PlatformAccount
from twitter_claims.x_gateway import XUser

pytestmark = pytest.mark.django_db(transaction=True)

MARCH = dt.date(2025, 3, 1)


def run_together(*calls):
    """Run the calls in threads released at the same moment; return their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=10)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [future.result(timeout=60) for future in [pool.submit(run, c) for c in calls]]


def test_two_users_claiming_the_same_x_account_at_once_one_wins_the_other_is_told(fake_x):
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    first, second = make_user(username="first"), make_user(username="second")
    clients = []
    for user in (first, second):
        client = Client()
        client.force_login(user)
        clients.append((client, local(fake_x.authorize(oauth_start(client), as_user="42"))))

    responses = run_together(*[lambda c=c, url=url: c.get(url) for c, url in clients])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert "already been claimed by another Flattr user" in loser.content.decode()
    winner = PlatformAccount.objects.get(user_id="42").claimed_by
    assert winner in (first, second)
    assert balances_for_user(winner)["earnings"] == 1800
    other = second if winner == first else first
    assert balances_for_user(other)["earnings"] == 0
    assert Transfer.objects.filter(kind="claim").count() == 1
    assert ledger_check() == []


def test_many_simultaneous_claims_of_one_pool_move_it_exactly_once(fake_x):
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    account = services.account_for_x_user(x_user=XUser(id="42", username="alice"))
    users = [make_user() for _ in range(4)]

    def claim(user):
        try:
            return services.pool_claim(account_id=account.pk, user=user).amount_cents
        except TwitterError as error:
            return error.code

    results = run_together(*[lambda u=u: claim(u) for u in users])
    assert sorted(results, key=str) == [1800] + ["already_claimed"] * 3
    assert Transfer.objects.filter(kind="claim").count() == 1
    assert ledger_check() == []


def test_a_claim_racing_the_expiry_gets_exactly_what_expiry_left(fake_x):
    donors_flattr("alice", count=2)
    payday_for(MARCH, started_at=timezone.now() - dt.timedelta(days=200))
    donors_flattr("alice", count=1)
    payday_for(dt.date(2025, 4, 1))
    account = services.account_for_x_user(x_user=XUser(id="42", username="alice"))
    owner = make_user()

    claimed, expired = run_together(
        lambda: services.pool_claim(account_id=account.pk, user=owner).amount_cents,
        lambda: services.pools_expire().amount_cents,
    )
    # Whichever ran first, the two together moved the pool once, and never a share twice.
    assert claimed + expired == 2700
    assert expired in (0, 1800)
    assert balances_for_user(owner)["earnings"] == claimed
    assert not Share.objects.filter(state="held").exists()
    assert ledger_check() == []


def test_two_notice_runs_at_once_post_one_tweet(fake_x, settings):
    settings.TWITTER_NOTIFY_THRESHOLD_CENTS = 10**9  # nothing is due while payday runs
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    assert OwnerNotice.objects.count() == 0
    settings.TWITTER_NOTIFY_THRESHOLD_CENTS = 1000

    run_together(services.notices_send, services.notices_send, services.notices_send)
    assert OwnerNotice.objects.filter(state="sent").count() == 1
    assert len(fake_x.tweets()) == 1
