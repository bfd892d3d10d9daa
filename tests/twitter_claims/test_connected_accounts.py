"""Connected accounts: several platforms per user, sign in with any connected one, see and
disconnect them; disconnecting never moves money already claimed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from payments.models import Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.factories import make_user
from tests.twitter_claims.conftest import local, mastodon_round_trip, provider_round_trip
from tests.twitter_claims.journeys import make_donor, payday_for
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db

MARCH, APRIL = dt.date(2025, 3, 1), dt.date(2025, 4, 1)


def flattr(path: str, account: str) -> None:
    donor = Client()
    donor.force_login(make_donor(budget=1000, funds=5000))
    assert donor.post(path, {"account": account}).status_code == 302


def test_a_user_connects_two_platforms_sees_them_and_signs_in_with_either(
    client, fake_github, fake_mastodon
):
    flattr("/github/-/flattr/", "octocat")
    payday_for(MARCH)
    owner = make_user()
    client.force_login(owner)
    provider_round_trip(client, fake_github, "github", as_user="583231")
    mastodon_round_trip(client, fake_mastodon["one.example"], "one.example", as_user="109")
    page = client.get("/platforms/connected/").content.decode()
    assert "@octocat" in page and "@anna@one.example" in page and "€9.00" in page

    visitor = Client()
    start = visitor.post("/mastodon/-/start/", {"purpose": "login", "domain": "one.example"})
    back = fake_mastodon["one.example"].authorize(start["Location"], as_user="109")
    signed_in = visitor.get(local(back))
    assert signed_in.status_code == 302 and signed_in["Location"] == "/dashboard/"
    assert visitor.get("/dashboard/").context["user"] == owner


def test_disconnecting_keeps_claimed_money_and_new_shares_wait_in_the_pool(client, fake_github):
    flattr("/github/-/flattr/", "octocat")
    payday_for(MARCH)
    owner = make_user()
    client.force_login(owner)
    provider_round_trip(client, fake_github, "github", as_user="583231")
    assert balances_for_user(owner)["earnings"] == 900
    account = PlatformAccount.objects.get(provider="github")
    transfers = Transfer.objects.count()

    response = client.post(f"/platforms/connected/{account.pk}/disconnect/")
    assert response.status_code == 302
    assert Transfer.objects.count() == transfers  # nothing moved
    assert balances_for_user(owner)["earnings"] == 900
    account.refresh_from_db()
    assert account.claimed_by is None and account.thing.owner is None
    assert account.thing.payee_id == account.pool_id

    flattr("/github/-/flattr/", "octocat")
    payday_for(APRIL)
    account.refresh_from_db()
    assert account.pool.balance == 900 and balances_for_user(owner)["earnings"] == 900
    other = Client()
    other.force_login(make_user())
    assert other.post(f"/platforms/connected/{account.pk}/disconnect/").status_code == 404
    assert ledger_check() == []
