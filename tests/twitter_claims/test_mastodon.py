"""Mastodon accounts on any instance, over real HTTP against two fake instances: our app is
registered per instance, accounts are `@user@instance`, the claim moves exactly the pool, one
id per instance is one user, a renamed account keeps its pool, owners are told by a direct
mention."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client

from flattr.models import Flattr
from flattr.platforms import thing_for_profile_url
from payments.models import Share, Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.factories import make_user
from tests.twitter_claims.conftest import mastodon_round_trip
from tests.twitter_claims.journeys import make_donor, payday_for
from twitter_claims import services
from twitter_claims.models import MastodonApp, OwnerNotice, PlatformAccount

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 1)


def flattr_mastodon(account: str, *, count: int = 2, budget: int = 1000) -> list:
    donors = [make_donor(budget=budget, funds=5000) for _ in range(count)]
    for donor in donors:
        client = Client()
        client.force_login(donor)
        response = client.post("/mastodon/-/flattr/", {"account": account})
        assert response.status_code == 302, response.content
    return donors


def anna(domain: str = "one.example") -> PlatformAccount:
    return PlatformAccount.objects.select_related("pool", "thing").get(
        provider="mastodon", domain=domain, user_id="109"
    )


def test_anna_on_two_instances_is_two_accounts_with_two_pools(fake_mastodon):
    flattr_mastodon("@anna@one.example", count=2)
    flattr_mastodon("anna@two.example", count=1)
    payday_for(MARCH)
    one, two = anna("one.example"), anna("two.example")
    assert one.pk != two.pk and one.pool_id != two.pool_id
    assert (one.pool.balance, two.pool.balance) == (2 * 900, 900)
    assert (one.label, two.label) == ("@anna@one.example", "@anna@two.example")
    assert Client().get("/mastodon/anna@two.example/").context["account"] == two


def test_flattr_by_profile_url_and_by_handle_reach_the_same_account(client, fake_mastodon):
    donor = make_donor(budget=1000, funds=5000)
    client.force_login(donor)
    response = client.post("/platforms/flattr/", {"account": "https://one.example/@anna"})
    assert response.status_code == 302
    assert Flattr.objects.get(donor=donor).thing_id == anna().thing_id
    auto = client.get("/submit/auto", {"url": "https://two.example/@ben", "user_id": "x"})
    assert (auto.status_code, auto["Location"]) == (302, "/mastodon/ben@two.example/")
    assert thing_for_profile_url("https://one.example/@anna").pk == anna().thing_id
    page = client.post("/mastodon/-/flattr/", {"account": "@anna@one.example"}, follow=True)
    assert "already flattred" in page.content.decode()


def test_hostile_instances_and_names_are_refused_without_a_call(client, fake_mastodon):
    client.force_login(make_donor(budget=1000, funds=5000))
    for raw in (
        "@anna@127.0.0.1",
        "@anna@localhost",
        "@anna@evil.internal",
        "@anna@nowhere.example",
        "anna",
    ):
        page = client.post("/mastodon/-/flattr/", {"account": raw}, follow=True)
        assert page.status_code == 200
    assert not PlatformAccount.objects.exists() and not Flattr.objects.exists()
    assert (
        client.post("/mastodon/-/start/", {"purpose": "claim", "domain": "127.0.0.1"}).status_code
        == 400
    )


def test_the_claim_registers_our_app_once_per_instance_and_moves_exactly_the_pool(
    client, fake_mastodon
):
    flattr_mastodon("@anna@one.example", count=3)
    payday_for(MARCH)
    held = anna().pool.balance
    assert held == 3 * 900
    owner = make_user()
    client.force_login(owner)
    done = mastodon_round_trip(client, fake_mastodon["one.example"], "one.example", as_user="109")
    assert (done.status_code, done["Location"]) == (302, "/mastodon/-/welcome/")
    assert MastodonApp.objects.get().domain == "one.example"
    assert anna().claimed_by == owner and anna().pool.balance == 0
    assert balances_for_user(owner)["earnings"] == held
    assert Transfer.objects.get(kind="claim").amount == held
    assert set(Share.objects.values_list("state", flat=True)) == {"claimed"}
    # The other instance's anna is someone else: a second user may claim that one.
    other = Client()
    other.force_login(make_user())
    flattr_mastodon("@anna@two.example", count=1)
    done = mastodon_round_trip(other, fake_mastodon["two.example"], "two.example", as_user="109")
    assert done.status_code == 302 and anna("two.example").claimed_by is not None
    assert MastodonApp.objects.count() == 2
    assert ledger_check() == []


def test_the_same_mastodon_id_on_a_second_user_is_refused(client, fake_mastodon):
    flattr_mastodon("@ben@one.example", count=1)
    payday_for(MARCH)
    client.force_login(make_user())
    mastodon_round_trip(client, fake_mastodon["one.example"], "one.example", as_user="110")
    second = Client()
    second.force_login(make_user())
    refused = mastodon_round_trip(
        second, fake_mastodon["one.example"], "one.example", as_user="110"
    )
    assert refused.status_code == 409
    assert Transfer.objects.filter(kind="claim").count() == 1


def test_a_renamed_account_keeps_its_pool(fake_mastodon):
    flattr_mastodon("@anna@one.example", count=2)
    payday_for(MARCH)
    before = anna()
    fake_mastodon["one.example"].admin("users", id="109", username="anna_new")
    fake_mastodon["one.example"].admin("users", id="555", username="anna")
    cache.clear()
    flattr_mastodon("@anna_new@one.example", count=1)
    after = anna()
    assert (after.pk, after.pool_id, after.handle) == (before.pk, before.pool_id, "anna_new")
    assert after.pool.balance == 2 * 900
    flattr_mastodon("@anna@one.example", count=1)
    assert PlatformAccount.objects.get(user_id="555").pool.balance == 0


def test_an_owner_is_told_by_a_direct_mention_from_the_service_account(fake_mastodon):
    flattr_mastodon("@anna@two.example", count=2)
    payday_for(MARCH)
    assert services.notices_send() == 1
    notice = OwnerNotice.objects.get()
    assert notice.state == "sent"
    posted = fake_mastodon["one.example"].admin("state")["statuses"]
    assert len(posted) == 1 and posted[0]["visibility"] == "direct"
    assert posted[0]["status"].startswith("@anna@two.example: 2 people on Flattr sent you €18.00")
    assert "/mastodon/anna@two.example/" in posted[0]["status"]
    assert services.notices_send() == 0  # once per cooldown
