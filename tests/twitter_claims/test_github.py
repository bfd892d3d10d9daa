"""GitHub accounts end to end, over real HTTP against the fake GitHub: flattr by login and by
profile URL, payday fills the pool, the claim moves exactly the pool, one GitHub id is one user,
a renamed login keeps its pool."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from flattr.models import Flattr
from flattr.platforms import thing_for_profile_url
from payments.models import Share, Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.factories import make_user
from tests.twitter_claims.conftest import local, provider_round_trip
from tests.twitter_claims.journeys import make_donor, payday_for
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 1)


def flattr_github(account: str, *, donors=None, count: int = 2) -> list:
    donors = donors or [make_donor(budget=1000, funds=5000) for _ in range(count)]
    for donor in donors:
        client = Client()
        client.force_login(donor)
        response = client.post("/github/-/flattr/", {"account": account})
        assert response.status_code == 302, response.content
    return donors


def octocat() -> PlatformAccount:
    return PlatformAccount.objects.select_related("pool", "thing").get(
        provider="github", user_id="583231"
    )


def test_flattr_by_login_makes_one_account_keyed_by_githubs_id(client, fake_github):
    donors = flattr_github("OctoCat")
    account = octocat()
    assert (account.domain, account.handle, account.label) == ("github.com", "octocat", "@octocat")
    assert Flattr.objects.filter(thing=account.thing).count() == len(donors)
    page = client.get("/github/octocat/")
    assert page.status_code == 200
    assert "Sign in with GitHub to claim" in page.content.decode()
    assert client.get("/github/octocat/count.json").json() == {"account": "octocat", "count": 2}


def test_flattr_by_profile_url_from_the_dashboard_auto_submit_and_the_core_function(
    client, fake_github
):
    donor = make_donor(budget=1000, funds=5000)
    client.force_login(donor)
    response = client.post("/platforms/flattr/", {"account": "https://github.com/octocat"})
    assert response.status_code == 302
    assert Flattr.objects.get(donor=donor).thing_id == octocat().thing_id
    auto = client.get("/submit/auto", {"url": "https://github.com/octocat", "user_id": "x"})
    assert (auto.status_code, auto["Location"]) == (302, "/github/octocat/")
    assert thing_for_profile_url("https://github.com/octocat").pk == octocat().thing_id
    assert thing_for_profile_url("https://github.com/octocat/hello-world") is None


def test_an_unknown_login_is_refused_and_github_down_keeps_the_flattr_pending(client, fake_github):
    client.force_login(make_donor(budget=1000, funds=5000))
    page = client.post("/github/-/flattr/", {"account": "nobody-here"}, follow=True)
    assert "There is no account with that name on GitHub." in page.content.decode()
    assert client.post("/github/-/flattr/", {"account": "<script>" * 50}).status_code == 302
    assert not PlatformAccount.objects.exists() and not Flattr.objects.exists()
    fake_github.admin("mode", mode="down")  # kept against the login, as on X (pending)
    page = client.post("/github/-/flattr/", {"account": "octocat"}, follow=True)
    assert "GitHub is not answering right now, so we will confirm" in page.content.decode()
    assert not PlatformAccount.objects.exists()
    assert Flattr.objects.get().thing.pending_handle.handle == "octocat"
    assert client.get("/github/-bad/").status_code == 404
    assert client.get("/mastodon/anna/").status_code == 404  # not a registered provider


def test_payday_fills_the_pool_and_the_claim_moves_exactly_the_pool(client, fake_github):
    flattr_github("octocat", count=3)
    payday_for(MARCH)
    account = octocat()
    held = sum(
        Share.objects.filter(payee=account.pool, state="held").values_list("amount", flat=True)
    )
    assert account.pool.balance == held == 3 * 900

    owner = make_user()
    client.force_login(owner)
    done = provider_round_trip(client, fake_github, "github", as_user="583231")
    assert (done.status_code, done["Location"]) == (302, "/github/-/welcome/")
    account = octocat()
    assert account.claimed_by == owner and account.pool.balance == 0
    assert balances_for_user(owner)["earnings"] == held
    assert Transfer.objects.get(kind="claim").amount == held
    assert set(Share.objects.values_list("state", flat=True)) == {"claimed"}
    assert account.thing.owner == owner
    assert "€27.00" in client.get("/github/-/welcome/").content.decode()
    assert ledger_check() == []


def test_the_same_github_id_on_a_second_user_is_refused(client, fake_github):
    flattr_github("octocat", count=1)
    payday_for(MARCH)
    first = make_user()
    client.force_login(first)
    provider_round_trip(client, fake_github, "github", as_user="583231")
    second = Client()
    second.force_login(make_user())
    refused = provider_round_trip(second, fake_github, "github", as_user="583231")
    assert refused.status_code == 409
    assert octocat().claimed_by == first
    assert Transfer.objects.filter(kind="claim").count() == 1


def test_a_renamed_login_keeps_its_pool_and_a_new_holder_of_the_old_login_gets_none(fake_github):
    flattr_github("octocat", count=2)
    payday_for(MARCH)
    before = octocat()
    fake_github.admin("users", id="583231", login="octo-renamed")
    fake_github.admin("users", id="777", login="octocat", name="Someone else")
    from django.core.cache import cache

    cache.clear()  # the login -> id answer was cached; a later lookup asks GitHub again
    flattr_github("octo-renamed", count=1)
    after = octocat()
    assert (after.pk, after.pool_id, after.handle) == (before.pk, before.pool_id, "octo-renamed")
    assert after.pool.balance == 2 * 900
    flattr_github("octocat", count=1)
    newcomer = PlatformAccount.objects.get(provider="github", user_id="777")
    assert newcomer.pool_id != before.pool_id and newcomer.pool.balance == 0
    assert Client().get("/github/octocat/").context["account"] == newcomer


def test_a_visitor_who_is_not_logged_in_logs_in_and_then_claims(client, fake_github):
    flattr_github("hubot", count=1)
    payday_for(MARCH)
    back = provider_round_trip(client, fake_github, "github", as_user="9919")
    assert back.status_code == 302 and back["Location"].startswith("/accounts/login/")
    owner = make_user()
    client.force_login(owner)
    finish = client.post("/github/-/finish/")
    assert finish["Location"] == "/github/-/welcome/"
    assert PlatformAccount.objects.get(user_id="9919").claimed_by == owner
    assert balances_for_user(owner)["earnings"] == 900


def test_hostile_callbacks_change_nothing(client, fake_github):
    flattr_github("octocat", count=1)
    client.force_login(make_user())
    start = client.post("/github/-/start/", {"purpose": "claim"})
    callback = fake_github.authorize(start["Location"], as_user="583231")
    forged = local(callback).replace("state=", "state=x")
    assert client.get(forged).status_code == 400
    assert client.get(local(callback)).status_code == 400  # the flow was spent by the forgery
    assert client.get("/github/-/callback/?code=abc&state=def").status_code == 400
    assert client.post("/github/-/start/", {"purpose": "optout"}).status_code == 400
    assert not PlatformAccount.objects.filter(claimed_by__isnull=False).exists()


def test_a_claim_that_lost_the_race_to_expiry_says_what_went_back(client, fake_github):
    from django.utils import timezone

    from twitter_claims import services

    flattr_github("octocat", count=2)
    payday_for(MARCH, started_at=timezone.now() - dt.timedelta(days=181))
    assert services.pools_expire().amount_cents == 2 * 900
    client.force_login(make_user())
    provider_round_trip(client, fake_github, "github", as_user="583231")
    page = client.get("/github/-/welcome/").content.decode()
    assert "Before you claimed, €18.00 that was held for this account had gone back" in page
    assert "the 2 people who gave it" in page
    assert "We credited" not in page and "Nothing was held" not in page


def test_a_claim_with_only_pending_flattrs_says_what_payday_brings_and_when(client, fake_github):
    from django.utils.formats import date_format

    from payments.months import month_next, month_start

    flattr_github("octocat", count=3)
    client.force_login(make_user())
    provider_round_trip(client, fake_github, "github", as_user="583231")
    page = client.get("/github/-/welcome/").content.decode()
    day = month_next(month_start())
    assert "3 flattrs of this month are not split yet" in page
    assert f"on payday, {date_format(day, 'DATE_FORMAT')}" in page
