"""Pending handles on every provider, as on X: a flattr made while GitHub, a Mastodon instance or
Facebook cannot answer is kept against the handle, and `handles_resolve` binds it to the
account's stable id once the fake answers again; payday pays into the right pool."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from flattr.models import Flattr
from payments.models import Share, Transfer
from payments.selectors import ledger_check
from tests.twitter_claims.journeys import make_donor, payday_for
from twitter_claims import services
from twitter_claims.models import PendingHandle, PlatformAccount

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 1)

# provider key, fake fixture, the account as typed, its domain, handle, and stable id
CASES = {
    "github": ("fake_github", "https://github.com/octocat", "github.com", "octocat", "583231"),
    "mastodon": ("fake_mastodon", "@anna@two.example", "two.example", "anna", "109"),
    "facebook": ("fake_facebook", "bakery.berlin", "facebook.com", "bakery.berlin", "777001"),
}


def the_fake(request, key: str):
    fake = request.getfixturevalue(CASES[key][0])
    return fake[CASES[key][2]] if key == "mastodon" else fake


def flattr(key: str, donors: list, *, follow: bool = False):
    pages = []
    for donor in donors:
        client = Client()
        client.force_login(donor)
        response = client.post(f"/{key}/-/flattr/", {"account": CASES[key][1]}, follow=follow)
        assert response.status_code == (200 if follow else 302), response.content
        pages.append(response)
    return pages


def flattr_during_outage(request, key: str, donors: list) -> PendingHandle:
    fake = the_fake(request, key)
    fake.admin("mode", mode="down")
    page = flattr(key, donors[:1], follow=True)[0].content.decode()
    assert "is not answering right now, so we will confirm the account soon" in page
    flattr(key, donors[1:])
    fake.admin("mode", mode="")
    _fake, _typed, domain, handle, _id = CASES[key]
    pending = PendingHandle.objects.get()
    assert (pending.provider, pending.domain, pending.handle, pending.state) == (
        key,
        domain,
        handle,
        "open",
    )
    assert not PlatformAccount.objects.exists()
    assert Flattr.objects.filter(thing_id=pending.thing_id).count() == len(donors)
    return pending


def the_account(key: str) -> PlatformAccount:
    _fake, _typed, domain, _handle, user_id = CASES[key]
    return PlatformAccount.objects.select_related("pool").get(
        provider=key, domain=domain, user_id=user_id
    )


@pytest.mark.parametrize("key", list(CASES))
def test_a_share_split_while_pending_follows_to_the_accounts_pool(request, key):
    donors = [make_donor(budget=1000, funds=5000) for _ in range(2)]
    pending = flattr_during_outage(request, key, donors)
    page = Client().get(f"/{key}/{CASES[key][3] if key != 'mastodon' else 'anna@two.example'}/")
    assert "has not confirmed yet who holds" in page.content.decode()
    # The fake fails again at resolve time: still waiting, nothing moves.
    the_fake(request, key).admin("mode", mode="down")
    assert services.handles_resolve()["waiting"] == 1
    the_fake(request, key).admin("mode", mode="")

    payday_for(MARCH)  # payday holds the shares in the pending handle's own pool
    pending.pool.refresh_from_db()
    assert pending.pool.balance == 2 * 900
    assert set(Share.objects.values_list("payee_id", flat=True)) == {pending.pool_id}

    flattred_at = Flattr.objects.order_by("-created_at").first().created_at
    outcome = services.handles_resolve(now=flattred_at + dt.timedelta(hours=1))
    assert outcome == {"resolved": 1, "failed": 0, "waiting": 0}
    account = the_account(key)
    pending.refresh_from_db()
    pending.pool.refresh_from_db()
    assert (pending.state, pending.account) == ("resolved", account)
    assert account.pool.balance == 2 * 900 and pending.pool.balance == 0
    assert set(Share.objects.values_list("payee_id", "thing_id", "state")) == {
        (account.pool_id, account.thing_id, "held")
    }
    assert Transfer.objects.filter(key__startswith="bind:").count() == 2
    assert ledger_check() == []


@pytest.mark.parametrize("key", list(CASES))
def test_resolved_before_payday_the_flattrs_pay_into_the_accounts_pool(request, key):
    donors = [make_donor(budget=1000, funds=5000) for _ in range(3)]
    pending = flattr_during_outage(request, key, donors)
    assert services.handles_resolve() == {"resolved": 1, "failed": 0, "waiting": 0}
    account = the_account(key)
    assert set(Flattr.objects.values_list("thing_id", flat=True)) == {account.thing_id}
    payday_for(MARCH)
    account.pool.refresh_from_db()
    pending.pool.refresh_from_db()
    assert account.pool.balance == 3 * 900 and pending.pool.balance == 0
    assert services.handles_resolve() == {"resolved": 0, "failed": 0, "waiting": 0}
    assert ledger_check() == []


def test_pending_handles_are_per_instance_and_per_provider(fake_mastodon, fake_github):
    for fake in (*fake_mastodon.values(), fake_github):
        fake.admin("mode", mode="down")
    for account, path in (
        ("@anna@one.example", "/mastodon/-/flattr/"),
        ("@anna@two.example", "/mastodon/-/flattr/"),
        ("anna", "/github/-/flattr/"),
    ):
        client = Client()
        client.force_login(make_donor(budget=1000, funds=5000))
        assert client.post(path, {"account": account}).status_code == 302
    assert sorted(PendingHandle.objects.values_list("provider", "domain", "handle")) == [
        ("github", "github.com", "anna"),
        ("mastodon", "one.example", "anna"),
        ("mastodon", "two.example", "anna"),
    ]
    for fake in fake_mastodon.values():
        fake.admin("mode", mode="")
    payday_for(MARCH)
    soon = Flattr.objects.order_by("-created_at").first().created_at + dt.timedelta(hours=1)
    assert services.handles_resolve(now=soon) == {"resolved": 2, "failed": 0, "waiting": 1}
    one = PlatformAccount.objects.get(provider="mastodon", domain="one.example")
    two = PlatformAccount.objects.get(provider="mastodon", domain="two.example")
    assert one.pool_id != two.pool_id and one.user_id == two.user_id == "109"
    # The flattrs of the GitHub "anna" were split on payday (held in its pending pool); GitHub
    # has no such user, so once it answers they all go back to the donor.
    fake_github.admin("mode", mode="")
    assert services.handles_resolve(now=soon) == {"resolved": 0, "failed": 1, "waiting": 0}
    assert Share.objects.filter(state="returned").count() == 1
    assert one.pool.balance == two.pool.balance == 900
    assert ledger_check() == []


def test_a_refusal_that_is_not_an_outage_is_still_refused(client, fake_github, fake_mastodon):
    client.force_login(make_donor(budget=1000, funds=5000))
    page = client.post("/github/-/flattr/", {"account": "nobody-here"}, follow=True)
    assert "There is no account with that name on GitHub." in page.content.decode()
    client.post("/mastodon/-/flattr/", {"account": "@anna@nowhere.example"})
    assert not PendingHandle.objects.exists() and not Flattr.objects.exists()
