"""Expiry counts from each share's own payday transfer, not from when the payday row started.

A payday that stopped half-way and was resumed days later posts its later chunks later; the
money of those shares has been held only since then. Each test would fail under the old rule
(held shares of a payday whose row started more than UNCLAIMED_HOLD_DAYS ago all expire).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from payments.models import Payday, Share
from payments.selectors import balances_for_user, ledger_check
from tests.twitter_claims.journeys import donors_flattr, make_donor, payday_for
from twitter_claims import services
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 1)


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def shares_paid_on(donors, when: dt.datetime) -> None:
    """Date the payday share transfers of these donors `when` (append-only rows: triggers off
    for this transaction only)."""
    keys = [
        f"payday:{s.month:%Y-%m}:share:{s.flattr_id}"
        for s in Share.objects.filter(donor__in=donors)
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE payments_transfer SET created_at = %s WHERE key = ANY(%s)", [when, keys]
        )
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_a_payday_row_started_long_ago_does_not_expire_shares_paid_recently(fake_x):
    donors = donors_flattr("alice", count=2)
    payday = payday_for(MARCH)  # shares paid into the pool now
    Payday.objects.filter(pk=payday.pk).update(started_at=days_ago(400))  # row started long ago

    result = services.pools_expire()

    assert result.shares == 0
    account = PlatformAccount.objects.get(handle="alice")
    assert account.pool.balance == 1800
    assert set(Share.objects.values_list("state", flat=True)) == {"held"}
    assert all(balances_for_user(d)["funds"] == 5000 - 1000 for d in donors)
    assert ledger_check() == []


def test_a_resumed_payday_expires_each_share_by_the_day_it_was_paid(fake_x):
    early = donors_flattr("alice", count=2)
    late = donors_flattr("alice", count=1)
    payday = payday_for(MARCH)
    Payday.objects.filter(pk=payday.pk).update(started_at=days_ago(200))
    shares_paid_on(early, days_ago(200))  # the chunk posted before the payday stopped
    shares_paid_on(late, days_ago(170))  # the chunk posted when it was resumed, a month later

    result = services.pools_expire()

    assert (result.shares, result.donors, result.amount_cents) == (2, 2, 1800)
    states = dict(Share.objects.values_list("donor_id", "state"))
    assert [states[d.pk] for d in early] == ["returned", "returned"]
    assert states[late[0].pk] == "held"
    assert all(balances_for_user(d)["funds"] == 4900 for d in early)  # the 100 fee stays
    assert balances_for_user(late[0])["funds"] == 4000
    assert PlatformAccount.objects.get(handle="alice").pool.balance == 900
    assert services.pools_expire().shares == 0  # a rerun returns nothing twice
    assert ledger_check() == []


def test_the_account_page_counts_down_from_the_oldest_shares_own_date(client, fake_x):
    donors = donors_flattr("alice", count=2)
    payday = payday_for(MARCH)
    Payday.objects.filter(pk=payday.pk).update(started_at=days_ago(150))
    paid = days_ago(30)
    shares_paid_on(donors, paid)

    body = client.get("/twitter/alice/").content.decode()

    returns_on = (paid + dt.timedelta(days=180)).date()
    old_rule = (days_ago(150) + dt.timedelta(days=180)).date()
    assert f"{returns_on.day}" in body and returns_on.strftime("%B") in body
    assert old_rule.strftime("%B %-d") not in body or returns_on == old_rule


def test_a_zero_cent_share_counts_from_its_paydays_start(fake_x, settings):
    """A share of 0 cents has no transfer; it is held (and returned) by its payday's date."""
    settings.MIN_BUDGET_CENTS = 1
    tiny = make_donor(budget=1, funds=5000)  # 1 cent over 2 flattrs: 1 + 0, no fee
    donors_flattr("alice", donors=[tiny])
    donors_flattr("carol", donors=[tiny])
    payday_for(MARCH, started_at=days_ago(200))

    result = services.pools_expire()

    assert sorted(Share.objects.values_list("amount", flat=True)) == [0, 1]
    assert result.shares == 2
    assert set(Share.objects.values_list("state", flat=True)) == {"returned"}
    assert balances_for_user(tiny)["funds"] == 5000
    assert ledger_check() == []


def test_shares_of_a_payday_that_stopped_before_posting_are_not_due(fake_x):
    """A payday that stopped after writing its shares but before posting them: the shares are
    held but their money is not in the pool yet. Expiry must not return them (it would pay them
    from other donors' money in the pool), however long ago the payday row started."""
    from payments.payday import pipeline
    from tests.twitter_claims.journeys import month_close

    donors_flattr("alice", count=1)
    payday_for(MARCH, started_at=days_ago(300))  # an old, posted payday: €9.00 in the pool
    donors_flattr("alice", count=2)
    april = dt.date(2025, 4, 1)
    month_close(april)
    stopped = Payday.objects.create(month=april)
    pipeline.shares_compute(stopped, None)
    stopped.refresh_from_db()
    assert stopped.stage == Payday.Stage.SHARES
    Payday.objects.filter(pk=stopped.pk).update(started_at=days_ago(400))
    pool = PlatformAccount.objects.get(handle="alice").pool

    result = services.pools_expire()

    assert (result.shares, result.amount_cents) == (1, 900)  # only March's posted share
    assert Share.objects.filter(payday=stopped, state="held").count() == 2
    pool.refresh_from_db()
    assert pool.balance == 0
    assert ledger_check() == []
