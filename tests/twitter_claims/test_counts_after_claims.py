"""Button counts and badges are right at once after a claim, a handle bind and a refusal.

Core caches counts and button data in Redis; the flattr services that twitter_claims calls
forget them after commit. These tests read through the real Redis cache and real commits
(transactional database), so a stale key would show as a wrong number.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from flattr.models import Flattr, Thing
from tests.factories import make_user
from tests.twitter_claims.conftest import oauth_round_trip
from tests.twitter_claims.journeys import donors_flattr, make_donor
from twitter_claims import tasks
from twitter_claims.models import PendingHandle, PlatformAccount

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def count_json(client: Client, handle: str) -> int:
    return client.get(f"/twitter/{handle}/count.json").json()["count"]


def badge(client: Client, thing_id: int) -> str:
    body = client.get(f"/thing/{thing_id}/badge.svg").content.decode()
    return re.search(r'aria-label="flattr: ([^"]+)"', body).group(1)


def button_count(client: Client, *, uid: str, url: str) -> str:
    html = client.get("/button/view/", {"uid": uid, "url": url}).content.decode()
    return re.search(r'class="fb-count"[^>]*>([^<]*)<', html).group(1)


def during_outage(fake_x, handle: str, donors) -> PendingHandle:
    fake_x.mode("down")
    donors_flattr(handle, donors=donors)
    fake_x.mode("")
    return PendingHandle.objects.get(handle__iexact=handle, state="open")


def test_a_handle_bind_shows_in_the_accounts_count_and_badge_at_once(fake_x):
    reader = Client()
    pending = during_outage(fake_x, "carol", [make_donor(budget=1000, funds=5000)])
    assert badge(reader, pending.thing_id) == "1"
    donors_flattr("carol", count=1)  # X answers again: the account comes into being
    carol = PlatformAccount.objects.get(user_id="1001")
    assert (count_json(reader, "carol"), badge(reader, carol.thing_id)) == (1, "1")  # cached

    assert tasks.handles_resolve.delay().get()["resolved"] == 1

    assert Flattr.objects.filter(thing_id=carol.thing_id).count() == 2
    assert (count_json(reader, "carol"), badge(reader, carol.thing_id)) == (2, "2")
    assert badge(reader, pending.thing_id) == "0"


def test_a_claim_shows_the_accounts_flattrs_on_its_owners_button_at_once(client, fake_x):
    donors_flattr("carol", count=2)
    carol = PlatformAccount.objects.select_related("thing").get(user_id="1001")
    owner = make_user()
    reader = Client()
    # Before the claim the owner has no such thing: the button caches "not created yet".
    assert button_count(reader, uid=owner.username, url=carol.thing.url) == "0"

    client.force_login(owner)
    assert oauth_round_trip(client, fake_x, as_user="1001").status_code == 302

    assert Thing.objects.get(pk=carol.thing_id).owner_id == owner.pk
    assert button_count(reader, uid=owner.username, url=carol.thing.url) == "2"
    assert (count_json(reader, "carol"), badge(reader, carol.thing_id)) == (2, "2")


def test_a_refusal_releases_the_flattrs_kept_for_it_and_their_count_drops_at_once(client, fake_x):
    reader = Client()
    pending = during_outage(fake_x, "dave", [make_donor(budget=1000, funds=5000)])
    assert badge(reader, pending.thing_id) == "1"  # cached
    done = oauth_round_trip(client, fake_x, as_user="1002", purpose="optout", choice="all")
    assert done.status_code == 200
    dave = PlatformAccount.objects.get(user_id="1002")
    assert Thing.objects.get(pk=dave.thing_id).closed

    assert tasks.handles_resolve.delay().get()["resolved"] == 1

    assert not Flattr.objects.exists()
    assert badge(reader, pending.thing_id) == "0"
    assert (count_json(reader, "dave"), badge(reader, dave.thing_id)) == (0, "0")
