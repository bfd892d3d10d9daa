"""Fixtures for twitter_claims: a real fake X on loopback (one server per test session, reset
for every test), and helpers that drive the OAuth round trip over real HTTP."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse

from twitter_claims.fake_x import DEV_USERS, FakeX, serve

CLIENT_ID, CLIENT_SECRET = "test-client", "test-secret"
APP_BEARER, SERVICE_TOKEN = "test-app-bearer", "test-service-token"
SITE_URL = "http://testserver"
CALLBACK = SITE_URL + "/twitter/-/callback/"


@dataclass
class FakeXClient:
    """Talks to the fake X over HTTP, the way a test (or a person in a browser) would."""

    base: str
    fake: FakeX

    def user_set(self, user_id: str, username: str) -> None:
        """Add a user or rename one (the old holder of `username` loses it, as on X)."""
        response = requests.post(
            f"{self.base}/_fake/users", json={"id": user_id, "username": username}, timeout=5
        )
        response.raise_for_status()

    def mode(self, mode: str) -> None:
        """ "down" (503 everywhere), "rate_limit" (429) or "" (healthy)."""
        requests.post(f"{self.base}/_fake/mode", json={"mode": mode}, timeout=5).raise_for_status()

    def tweets(self) -> list[dict]:
        return requests.post(f"{self.base}/_fake/state", json={}, timeout=5).json()["tweets"]

    def authorize(self, authorize_url: str, *, as_user: str | None = "42", deny=False) -> str:
        """Play the person on X's consent page; return where X sends the browser back to."""
        params = {"deny": "1"} if deny else {"as": as_user}
        response = requests.get(authorize_url, params=params, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        return response.headers["Location"]


@pytest.fixture(scope="session")
def _fake_x_server():
    fake = FakeX(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uris=[CALLBACK],
        app_bearer=APP_BEARER,
        service_token=SERVICE_TOKEN,
    )
    server = serve(fake)
    yield fake, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_x(_fake_x_server, settings) -> FakeXClient:
    """The fake X, reset to its demo users (@flattr 1, @alice 42, @bob 7, @carol 1001, …), with
    the gateway's settings pointing at it."""
    fake, base = _fake_x_server
    fake.reset(DEV_USERS)
    fake.redirect_uris = {CALLBACK}
    settings.SITE_URL = SITE_URL
    settings.X_API_BASE = base
    settings.X_AUTHORIZE_URL = base + "/i/oauth2/authorize"
    settings.X_TOKEN_URL = base + "/2/oauth2/token"
    settings.X_CLIENT_ID = CLIENT_ID
    settings.X_CLIENT_SECRET = CLIENT_SECRET
    settings.X_BEARER_TOKEN = APP_BEARER
    settings.X_SERVICE_ACCESS_TOKEN = SERVICE_TOKEN
    settings.TWITTER_NOTIFY_THRESHOLD_CENTS = 1000
    settings.TWITTER_NOTIFY_MIN_DONORS = 2
    settings.TWITTER_NOTIFY_COOLDOWN_DAYS = 30
    settings.UNCLAIMED_HOLD_DAYS = 180
    return FakeXClient(base=base, fake=fake)


def local(url: str) -> str:
    """Return the path and query of an absolute URL, for Django's test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def oauth_start(client, *, purpose: str = "claim", **fields) -> str:
    """Press a "Sign in with Twitter" button; return the X authorize URL we were sent to."""
    response = client.post(reverse("twitter_claims:start"), {"purpose": purpose, **fields})
    assert response.status_code == 302, response.content
    return response["Location"]


def oauth_round_trip(client, fake_x: FakeXClient, *, as_user: str = "42", **start_fields):
    """Start a sign-in, approve it on the fake X as `as_user`, follow the callback; return the
    callback's response."""
    callback = fake_x.authorize(oauth_start(client, **start_fields), as_user=as_user)
    return client.get(local(callback))


def last_month_start(today: dt.date | None = None) -> dt.date:
    today = today or dt.date.today()
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


GITHUB_CLIENT = ("test-github", "test-github-secret")
GITHUB_CALLBACK = SITE_URL + "/github/-/callback/"


@dataclass
class FakeProviderClient:
    """Talks to a fake provider (fake_github …) over HTTP, as a test or a browser would."""

    base: str
    fake: object

    def admin(self, what: str, **data) -> dict:
        response = requests.post(f"{self.base}/_fake/{what}", json=data, timeout=5)
        response.raise_for_status()
        return response.json()

    def authorize(self, authorize_url: str, *, as_user: str | None, deny=False) -> str:
        """Play the person on the consent page; return where the browser is sent back to."""
        params = {"deny": "1"} if deny else {"as": as_user}
        response = requests.get(authorize_url, params=params, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        return response.headers["Location"]


@pytest.fixture(scope="session")
def _fake_github_server():
    from twitter_claims.fake_github import FakeGitHub
    from twitter_claims.fake_provider import serve as serve_fake

    fake = FakeGitHub(clients={GITHUB_CLIENT[0]: (GITHUB_CLIENT[1], {GITHUB_CALLBACK})})
    server = serve_fake(fake)
    yield fake, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_github(_fake_github_server, settings) -> FakeProviderClient:
    """The fake GitHub, reset to its demo users (octocat 583231, hubot 9919, carol 1001), with
    the GitHub settings pointing at it."""
    fake, base = _fake_github_server
    fake.reset()
    settings.SITE_URL = SITE_URL
    settings.GITHUB_API_BASE = base
    settings.GITHUB_AUTHORIZE_URL = base + "/login/oauth/authorize"
    settings.GITHUB_TOKEN_URL = base + "/login/oauth/access_token"
    settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET = GITHUB_CLIENT
    settings.UNCLAIMED_HOLD_DAYS = 180
    return FakeProviderClient(base=base, fake=fake)


def provider_round_trip(client, fake: FakeProviderClient, provider: str, *, as_user: str):
    """Press "Sign in with <provider> to claim", approve on the fake as `as_user`, follow the
    callback; return the callback's response."""
    start = client.post(f"/{provider}/-/start/", {"purpose": "claim"})
    assert start.status_code == 302, start.content
    return client.get(local(fake.authorize(start["Location"], as_user=as_user)))


MASTODON_INSTANCES = ("one.example", "two.example")


@pytest.fixture(scope="session")
def _fake_mastodon_servers():
    from twitter_claims.fake_mastodon import FakeMastodon
    from twitter_claims.fake_provider import serve as serve_fake

    running = {}
    for domain in MASTODON_INSTANCES:
        fake = FakeMastodon(domain=domain)
        running[domain] = (fake, serve_fake(fake))
    yield {d: (f, f"http://127.0.0.1:{s.server_port}") for d, (f, s) in running.items()}
    for _fake, server in running.values():
        server.shutdown()
        server.server_close()


@pytest.fixture
def fake_mastodon(_fake_mastodon_servers, settings) -> dict[str, FakeProviderClient]:
    """Two fake Mastodon instances, one.example and two.example, each with @anna (109) and
    @ben (110); our service account posts from one.example."""
    settings.SITE_URL = SITE_URL
    settings.MASTODON_INSTANCE_URLS = {d: base for d, (_f, base) in _fake_mastodon_servers.items()}
    settings.MASTODON_SERVICE_DOMAIN = "one.example"
    settings.MASTODON_SERVICE_TOKEN = "fake-mastodon-service"
    settings.TWITTER_NOTIFY_THRESHOLD_CENTS = 1000
    settings.TWITTER_NOTIFY_MIN_DONORS = 2
    clients = {}
    for domain, (fake, base) in _fake_mastodon_servers.items():
        fake.reset()
        clients[domain] = FakeProviderClient(base=base, fake=fake)
    return clients


def mastodon_round_trip(client, fake: FakeProviderClient, domain: str, *, as_user: str):
    start = client.post("/mastodon/-/start/", {"purpose": "claim", "domain": domain})
    assert start.status_code == 302, start.content
    return client.get(local(fake.authorize(start["Location"], as_user=as_user)))


FACEBOOK_APP = ("test-facebook", "test-facebook-secret")
FACEBOOK_CALLBACK = SITE_URL + "/facebook/-/callback/"


@pytest.fixture(scope="session")
def _fake_facebook_server():
    from twitter_claims.fake_facebook import FakeFacebook
    from twitter_claims.fake_provider import serve as serve_fake

    fake = FakeFacebook(clients={FACEBOOK_APP[0]: (FACEBOOK_APP[1], {FACEBOOK_CALLBACK})})
    server = serve_fake(fake)
    yield fake, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_facebook(_fake_facebook_server, settings) -> FakeProviderClient:
    """The fake Graph API: the page bakery.berlin (777001), managed by Pat (501); Quinn (502)
    manages nothing."""
    fake, base = _fake_facebook_server
    fake.reset()
    settings.SITE_URL = SITE_URL
    settings.FACEBOOK_GRAPH_BASE = base
    settings.FACEBOOK_AUTHORIZE_URL = base + "/dialog/oauth"
    settings.FACEBOOK_TOKEN_URL = base + "/oauth/access_token"
    settings.FACEBOOK_APP_ID, settings.FACEBOOK_APP_SECRET = FACEBOOK_APP
    settings.TWITTER_NOTIFY_THRESHOLD_CENTS = 100
    settings.TWITTER_NOTIFY_MIN_DONORS = 1
    return FakeProviderClient(base=base, fake=fake)


def facebook_round_trip(client, fake: FakeProviderClient, page_id: str, *, as_user: str):
    start = client.post("/facebook/-/start/", {"purpose": "claim", "target": page_id})
    assert start.status_code == 302, start.content
    return client.get(local(fake.authorize(start["Location"], as_user=as_user)))
