"""Facebook pages, over real HTTP against the fake Graph API: a page resolved from its URL, the
claim by someone who manages it (Facebook Login), donors told on claim, no owner notices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from flattr.models import Flattr
from flattr.platforms import thing_for_profile_url
from payments.models import Share, Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.factories import make_user
from tests.twitter_claims.conftest import facebook_round_trip
from tests.twitter_claims.journeys import make_donor, payday_for
from twitter_claims import services
from twitter_claims.models import OwnerNotice, PlatformAccount

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 1)
PAGE = "777001"


def flattr_facebook(account: str, *, count: int = 2) -> list:
    donors = [make_donor(budget=1000, funds=5000) for _ in range(count)]
    for donor in donors:
        client = Client()
        client.force_login(donor)
        response = client.post("/facebook/-/flattr/", {"account": account})
        assert response.status_code == 302, response.content
    return donors


def bakery() -> PlatformAccount:
    return PlatformAccount.objects.select_related("pool", "thing").get(
        provider="facebook", user_id=PAGE
    )


def test_a_page_is_flattred_by_its_url_or_its_name_and_keyed_by_its_page_id(client, fake_facebook):
    flattr_facebook("https://www.facebook.com/bakery.berlin/", count=1)
    flattr_facebook("bakery.berlin", count=1)
    account = bakery()
    assert (account.domain, account.handle, account.name) == (
        "facebook.com",
        "bakery.berlin",
        "Bakery Berlin",
    )
    assert Flattr.objects.filter(thing=account.thing).count() == 2
    assert thing_for_profile_url(f"https://facebook.com/profile.php?id={PAGE}") == account.thing
    auto = client.get("/submit/auto", {"url": "https://facebook.com/bakery.berlin", "user_id": "x"})
    assert auto["Location"] == "/facebook/bakery.berlin/"
    assert thing_for_profile_url("https://facebook.com/groups/x") is None


def test_payday_fills_the_pool_and_a_manager_of_the_page_claims_exactly_it(
    client, fake_facebook, django_capture_on_commit_callbacks
):
    donors = flattr_facebook("bakery.berlin", count=3)
    payday_for(MARCH)
    held = bakery().pool.balance
    assert held == 3 * 900
    assert services.notices_send() == 0  # Facebook pages are never sent notices
    assert not OwnerNotice.objects.exists()
    mail.outbox.clear()
    owner = make_user()
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        done = facebook_round_trip(client, fake_facebook, PAGE, as_user="501")
    assert (done.status_code, done["Location"]) == (302, "/facebook/-/welcome/")
    assert bakery().claimed_by == owner and bakery().pool.balance == 0
    assert balances_for_user(owner)["earnings"] == held
    assert Transfer.objects.get(kind="claim").amount == held
    assert set(Share.objects.values_list("state", flat=True)) == {"claimed"}
    told = {m.to[0]: m for m in mail.outbox}
    assert set(told) == {d.email for d in donors}
    assert "bakery.berlin joined Flattr" in told[donors[0].email].subject
    assert "whom you flattred on Facebook" in told[donors[0].email].body
    assert ledger_check() == []


def test_someone_who_does_not_manage_the_page_or_a_second_user_is_refused(client, fake_facebook):
    flattr_facebook("bakery.berlin", count=1)
    payday_for(MARCH)
    client.force_login(make_user())
    refused = facebook_round_trip(client, fake_facebook, PAGE, as_user="502")
    assert refused.status_code == 403
    assert "does not manage this page" in refused.content.decode()
    assert bakery().claimed_by is None and bakery().pool.balance == 900
    first = Client()
    first.force_login(make_user())
    facebook_round_trip(first, fake_facebook, PAGE, as_user="501")
    second = Client()
    second.force_login(make_user())
    assert facebook_round_trip(second, fake_facebook, PAGE, as_user="501").status_code == 409
    assert Transfer.objects.filter(kind="claim").count() == 1


def test_a_renamed_page_keeps_its_pool(fake_facebook):
    flattr_facebook("bakery.berlin", count=2)
    payday_for(MARCH)
    before = bakery()
    fake_facebook.admin("pages", id=PAGE, username="bakery.kreuzberg", name="Bakery Kreuzberg")
    cache.clear()
    flattr_facebook("https://facebook.com/bakery.kreuzberg", count=1)
    after = bakery()
    assert (after.pk, after.pool_id, after.handle) == (
        before.pk,
        before.pool_id,
        "bakery.kreuzberg",
    )
    assert after.pool.balance == 2 * 900
