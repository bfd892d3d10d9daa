"""The login page's "Log in with GitHub / Mastodon / Facebook" buttons beside X's: from the
button on the page, over real HTTP against each fake, to being signed in as the user who
connected that account. An account connected to nobody gets a clear next step; hostile or
replayed callbacks answer 4xx and sign nobody in."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.test import Client

from payments.selectors import ledger_check
from tests.factories import make_user
from tests.twitter_claims.conftest import (
    facebook_round_trip,
    local,
    mastodon_round_trip,
    provider_round_trip,
)
from tests.twitter_claims.journeys import make_donor, payday_for
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 1)
FORM = re.compile(r'<form method="(post|get)" action="([^"]+)"[^>]*data-platform="([a-z]+)"')


def sign_in_forms(page: str) -> dict[str, tuple[str, str]]:
    """The login page's "Log in with …" forms: platform key -> (method, action)."""
    return {key: (method, unescape(action)) for method, action, key in FORM.findall(page)}


def form_action(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    return next(p for p in policy.split(";") if p.strip().startswith("form-action")).split()


def flattr(path: str, account: str) -> None:
    donor = Client()
    donor.force_login(make_donor(budget=1000, funds=5000))
    assert donor.post(path, {"account": account}).status_code == 302


def signed_in_as(client: Client):
    return client.get("/dashboard/").context["user"]


def test_the_login_page_offers_every_platform_and_allows_their_origins(
    client, fake_x, fake_github, fake_facebook, fake_mastodon
):
    page = client.get("/accounts/login/")
    html = page.content.decode()
    for name in ("Twitter/X", "GitHub", "Mastodon", "Facebook"):
        assert f"Log in with {name}" in html
    forms = sign_in_forms(html)
    assert forms["twitter"] == ("post", "/twitter/-/start/")
    assert forms["github"] == ("post", "/github/-/start/")
    assert forms["facebook"] == ("post", "/facebook/-/start/")
    assert forms["mastodon"] == ("get", "/mastodon/-/sign-in/")  # asks for the instance first
    allowed = form_action(page)
    assert fake_github.base in allowed and fake_facebook.base in allowed
    assert fake_x.base in allowed
    assert "Log in with GitHub" in client.get("/accounts/signup/").content.decode()


def test_sign_in_with_github_from_the_login_page_signs_in_its_owner(client, fake_github):
    flattr("/github/-/flattr/", "octocat")
    payday_for(MARCH)
    owner = make_user()
    owner_client = Client()
    owner_client.force_login(owner)
    provider_round_trip(owner_client, fake_github, "github", as_user="583231")
    assert PlatformAccount.objects.get(provider="github").claimed_by == owner

    _method, action = sign_in_forms(client.get("/accounts/login/").content.decode())["github"]
    start = client.post(action, {"purpose": "login"})
    assert start.status_code == 302 and start["Location"].startswith(fake_github.base)
    back = client.get(local(fake_github.authorize(start["Location"], as_user="583231")))
    assert (back.status_code, back["Location"]) == (302, "/dashboard/")
    assert signed_in_as(client) == owner
    assert ledger_check() == []


def test_sign_in_with_mastodon_asks_for_the_instance_then_signs_in_its_owner(client, fake_mastodon):
    owner = make_user()
    owner_client = Client()
    owner_client.force_login(owner)
    mastodon_round_trip(owner_client, fake_mastodon["two.example"], "two.example", as_user="110")

    _method, action = sign_in_forms(client.get("/accounts/login/").content.decode())["mastodon"]
    step = client.get(action, {"domain": "two.example"})
    assert step.status_code == 200
    assert fake_mastodon["two.example"].base in form_action(step)
    assert "Continue to two.example" in step.content.decode()
    start = client.post("/mastodon/-/start/", {"purpose": "login", "domain": "two.example"})
    back = client.get(
        local(fake_mastodon["two.example"].authorize(start["Location"], as_user="110"))
    )
    assert (back.status_code, back["Location"]) == (302, "/dashboard/")
    assert signed_in_as(client) == owner
    # The same id on the other instance is someone else: not linked, so not signed in as owner.
    other = Client()
    start = other.post("/mastodon/-/start/", {"purpose": "login", "domain": "one.example"})
    back = other.get(
        local(fake_mastodon["one.example"].authorize(start["Location"], as_user="110"))
    )
    assert back["Location"].startswith("/accounts/login/")
    assert other.get("/dashboard/").status_code == 302  # still logged out
    for hostile in ("127.0.0.1", "localhost", "evil.internal", "", "a" * 300, "x/../y"):
        assert client.get(action, {"domain": hostile}).status_code == 400


def test_sign_in_with_facebook_signs_in_whoever_claimed_a_page_you_manage(client, fake_facebook):
    owner = make_user()
    owner_client = Client()
    owner_client.force_login(owner)
    facebook_round_trip(owner_client, fake_facebook, "777001", as_user="501")
    assert PlatformAccount.objects.get(provider="facebook").claimed_by == owner

    _method, action = sign_in_forms(client.get("/accounts/login/").content.decode())["facebook"]
    start = client.post(action, {"purpose": "login"})
    back = client.get(local(fake_facebook.authorize(start["Location"], as_user="501")))
    assert (back.status_code, back["Location"]) == (302, "/dashboard/")
    assert signed_in_as(client) == owner
    # Quinn manages no page: told so, signed in as nobody.
    quinn = Client()
    start = quinn.post(action, {"purpose": "login"})
    refused = quinn.get(local(fake_facebook.authorize(start["Location"], as_user="502")))
    assert refused.status_code == 403 and "does not manage" in refused.content.decode()
    assert quinn.get("/dashboard/").status_code == 302


def test_an_unconnected_account_is_told_to_log_in_or_sign_up_and_nothing_is_claimed(
    client, fake_github, fake_facebook
):
    flattr("/github/-/flattr/", "hubot")
    payday_for(MARCH)
    start = client.post("/github/-/start/", {"purpose": "login"})
    back = client.get(local(fake_github.authorize(start["Location"], as_user="9919")))
    assert back.status_code == 302 and back["Location"].startswith("/accounts/login/")
    page = client.get(back["Location"]).content.decode()
    assert "Log in or sign up to Flattr; then we claim the account for you." in page
    assert PlatformAccount.objects.get(user_id="9919").claimed_by is None
    assert client.get("/dashboard/").status_code == 302
    # Facebook: a manager of an unclaimed page is told how to connect it; nothing is claimed.
    flattr("/facebook/-/flattr/", "bakery.berlin")
    fb = Client()
    start = fb.post("/facebook/-/start/", {"purpose": "login"})
    back = fb.get(local(fake_facebook.authorize(start["Location"], as_user="501")))
    assert back["Location"] == "/accounts/login/"
    page = fb.get(back["Location"]).content.decode()
    assert "No Flattr account is connected to a Facebook page you manage yet" in page
    assert PlatformAccount.objects.get(provider="facebook").claimed_by is None
    assert ledger_check() == []


def test_hostile_and_replayed_login_callbacks_sign_nobody_in(client, fake_github, fake_facebook):
    owner = make_user()
    owner_client = Client()
    owner_client.force_login(owner)
    provider_round_trip(owner_client, fake_github, "github", as_user="583231")
    start = client.post("/github/-/start/", {"purpose": "login"})
    callback = local(fake_github.authorize(start["Location"], as_user="583231"))
    assert client.get(callback).status_code == 302 and signed_in_as(client) == owner
    replay = Client()
    assert replay.get(callback).status_code == 400  # another browser replays it
    assert replay.get("/dashboard/").status_code == 302
    client.logout()
    assert client.get(callback).status_code == 400  # the same browser replays it
    for query in (
        "?code=abc&state=def",
        "?error=access_denied&state=",
        "?state=" + "x" * 5000,
        "?code=%00&state=%00",
        "",
    ):
        for provider in ("github", "facebook", "mastodon", "twitter"):
            assert client.get(f"/{provider}/-/callback/{query}").status_code == 400
    start = client.post("/facebook/-/start/", {"purpose": "login"})
    denied = local(fake_facebook.authorize(start["Location"], as_user=None, deny=True))
    assert client.get(denied).status_code == 400
    assert client.post("/github/-/start/", {"purpose": "admin"}).status_code == 400
    assert client.get("/dashboard/").status_code == 302
