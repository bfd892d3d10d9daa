"""Hostile and broken OAuth callbacks: each gets a friendly 4xx page and binds nothing."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from payments.models import Transfer
from tests.factories import make_user
from tests.twitter_claims.conftest import local, oauth_start
from tests.twitter_claims.journeys import donors_flattr, payday_for
from twitter_claims.models import OAuthAttempt, PlatformAccount
from twitter_claims.services import OAUTH_SESSION_KEY

pytestmark = pytest.mark.django_db

CALLBACK = "/twitter/-/callback/"


@pytest.fixture
def alice_pool(fake_x):
    donors_flattr("alice", count=2)
    payday_for(dt.date(2025, 3, 1))
    return PlatformAccount.objects.get(user_id="42")


def nothing_bound() -> bool:
    return (
        not PlatformAccount.objects.filter(claimed_by__isnull=False).exists()
        and not Transfer.objects.filter(kind="claim").exists()
    )


def params_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_wrong_state_binds_nothing(client, fake_x, alice_pool):
    client.force_login(make_user())
    callback = params_of(fake_x.authorize(oauth_start(client)))
    response = client.get(CALLBACK, {"code": callback["code"], "state": "forged" * 8})
    assert response.status_code == 400
    assert "expired or was already used" in response.content.decode()
    assert nothing_bound()


def test_a_replayed_callback_binds_nothing_the_second_time(client, fake_x, alice_pool):
    owner = make_user()
    client.force_login(owner)
    callback = local(fake_x.authorize(oauth_start(client)))
    assert client.get(callback).status_code == 302
    assert PlatformAccount.objects.get(user_id="42").claimed_by == owner
    client.force_login(make_user())
    again = client.get(callback)
    assert again.status_code == 400
    assert PlatformAccount.objects.get(user_id="42").claimed_by == owner
    assert Transfer.objects.filter(kind="claim").count() == 1


def test_a_state_spent_elsewhere_is_refused_even_in_the_session_that_started_it(
    client, fake_x, alice_pool
):
    client.force_login(make_user())
    callback = local(fake_x.authorize(oauth_start(client)))
    OAuthAttempt.objects.update(used_at=dt.datetime.now(dt.UTC))  # another request won the race
    assert client.get(callback).status_code == 400
    assert nothing_bound()


def test_a_callback_carried_into_another_browser_binds_nothing(fake_x, alice_pool):
    attacker, victim = Client(), Client()
    attacker.force_login(make_user(username="attacker"))
    victim.force_login(make_user(username="victim"))
    oauth_start(victim)  # the victim's own flow is pending
    callback = local(fake_x.authorize(oauth_start(attacker)))
    response = victim.get(callback)  # login CSRF: the attacker's code in the victim's browser
    assert response.status_code == 400
    assert nothing_bound()


def test_a_reused_code_binds_nothing(client, fake_x, alice_pool):
    first = make_user()
    client.force_login(first)
    used = params_of(fake_x.authorize(oauth_start(client)))
    client.get(CALLBACK, used)
    claimed = PlatformAccount.objects.get(user_id="42")
    assert claimed.claimed_by == first

    other = Client()
    other.force_login(make_user())
    fresh_state = params_of(oauth_start(other))["state"]
    response = other.get(CALLBACK, {"code": used["code"], "state": fresh_state})
    assert response.status_code == 400
    assert "could not confirm the sign-in" in response.content.decode()
    assert Transfer.objects.filter(kind="claim").count() == 1


def test_a_wrong_pkce_verifier_binds_nothing(client, fake_x, alice_pool):
    client.force_login(make_user())
    callback = local(fake_x.authorize(oauth_start(client)))
    session = client.session
    session[OAUTH_SESSION_KEY] = {**session[OAUTH_SESSION_KEY], "verifier": "x" * 64}
    session.save()
    response = client.get(callback)
    assert response.status_code == 400
    assert nothing_bound()


def test_a_garbage_code_binds_nothing(client, fake_x, alice_pool):
    client.force_login(make_user())
    state = params_of(oauth_start(client))["state"]
    response = client.get(CALLBACK, {"code": "garbage<script>", "state": state})
    assert response.status_code == 400
    assert "<script>" not in response.content.decode()
    assert nothing_bound()


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"code": "abc"},
        {"state": "abc"},
        {"code": "", "state": ""},
        {"error": "access_denied"},
        {"error": "access_denied", "state": "not-ours"},
        {"code": "a" * 5000, "state": "b" * 5000},
    ],
    ids=["nothing", "code-only", "state-only", "empty", "denied", "denied-foreign", "huge"],
)
def test_a_callback_with_missing_or_foreign_parameters_gets_a_friendly_400(
    client, fake_x, alice_pool, query
):
    client.force_login(make_user())
    oauth_start(client)
    response = client.get(CALLBACK, query)
    assert response.status_code == 400
    assert "Sign-in with Twitter did not work" in response.content.decode()
    assert "Nothing was claimed" in response.content.decode()
    assert nothing_bound()


def test_cancelling_on_x_returns_access_denied_and_binds_nothing(client, fake_x, alice_pool):
    client.force_login(make_user())
    callback = fake_x.authorize(oauth_start(client), deny=True)
    assert params_of(callback)["error"] == "access_denied"
    response = client.get(local(callback))
    assert response.status_code == 400
    assert "You cancelled the sign-in" in response.content.decode()
    assert nothing_bound()
    # The denied state is spent: replaying it with a code does not work either.
    code_try = client.get(CALLBACK, {"code": "x", "state": params_of(callback)["state"]})
    assert code_try.status_code == 400


def test_an_expired_state_binds_nothing(client, fake_x, alice_pool, settings):
    client.force_login(make_user())
    callback = local(fake_x.authorize(oauth_start(client)))
    OAuthAttempt.objects.update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert client.get(callback).status_code == 400
    assert nothing_bound()


def test_x_being_down_at_the_token_exchange_is_a_503_and_binds_nothing(client, fake_x, alice_pool):
    client.force_login(make_user())
    callback = local(fake_x.authorize(oauth_start(client)))
    fake_x.mode("down")
    response = client.get(callback)
    assert response.status_code == 503
    assert "not answering" in response.content.decode()
    assert nothing_bound()


def test_starting_a_sign_in_while_x_is_unconfigured_is_a_friendly_503(client, settings):
    settings.X_AUTHORIZE_URL = ""
    response = client.post(reverse("twitter_claims:start"), {"purpose": "claim"})
    assert response.status_code == 503


def test_the_fake_x_refuses_a_redirect_uri_it_does_not_know(client, fake_x):
    authorize = oauth_start(client)
    query = params_of(authorize)
    query["redirect_uri"] = "https://evil.example/steal"
    import requests

    response = requests.get(
        f"{fake_x.base}/i/oauth2/authorize?{urlencode(query)}",
        params={"as": "42"},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_an_opt_out_flow_that_lost_its_choice_is_refused_in_words(client, fake_x):
    callback = local(fake_x.authorize(oauth_start(client, purpose="optout", choice="all")))
    session = client.session
    flow = dict(session[OAUTH_SESSION_KEY])
    flow.pop("choice")
    session[OAUTH_SESSION_KEY] = flow
    session.save()
    response = client.get(callback)
    assert response.status_code == 400
    assert "Some of the details are not valid" in response.content.decode()
    assert not PlatformAccount.objects.filter(flattrs_opted_out=True).exists()


def test_the_callback_answers_only_get(client, fake_x):
    assert client.post(CALLBACK, {"code": "x", "state": "y"}).status_code == 405
