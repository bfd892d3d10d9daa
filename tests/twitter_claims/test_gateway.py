"""The X gateway against the fake provider over real HTTP: lookups, tweets, OAuth 2.0 with
PKCE, and every way X can fail, each a clear XError."""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from twitter_claims import x_gateway
from twitter_claims.x_gateway import XError, XUser

REDIRECT = "http://testserver/twitter/-/callback/"


def code_for(fake_x, start, as_user="42") -> str:
    location = fake_x.authorize(start.authorize_url, as_user=as_user)
    return parse_qs(urlsplit(location).query)["code"][0]


def test_users_are_looked_up_by_handle_and_by_id(fake_x):
    assert x_gateway.user_by_username("alice") == XUser(id="42", username="alice", name="Alice")
    assert x_gateway.user_by_username("ALICE").id == "42"
    assert x_gateway.user_by_id("7") == XUser(id="7", username="bob", name="Bob")
    assert x_gateway.user_by_username("nobody_here") is None
    assert x_gateway.user_by_id("999") is None
    assert x_gateway.user_by_username("../../etc") is None  # never sent to X


def test_the_oauth_round_trip_uses_pkce_and_returns_the_signed_in_user(fake_x):
    start = x_gateway.oauth_start(redirect_uri=REDIRECT)
    query = parse_qs(urlsplit(start.authorize_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] == [start.state] and len(start.state) >= 40
    assert 43 <= len(start.code_verifier) <= 128
    code = code_for(fake_x, start)
    user = x_gateway.oauth_finish(
        redirect_uri=REDIRECT, code=code, code_verifier=start.code_verifier
    )
    assert user.id == "42"
    with pytest.raises(XError) as reused:
        x_gateway.oauth_finish(redirect_uri=REDIRECT, code=code, code_verifier=start.code_verifier)
    assert reused.value.code == "oauth_failed"


def test_a_wrong_verifier_or_redirect_uri_or_secret_is_refused(fake_x, settings):
    start = x_gateway.oauth_start(redirect_uri=REDIRECT)
    with pytest.raises(XError) as wrong_verifier:
        x_gateway.oauth_finish(
            redirect_uri=REDIRECT, code=code_for(fake_x, start), code_verifier="v" * 43
        )
    assert wrong_verifier.value.code == "oauth_failed"

    start = x_gateway.oauth_start(redirect_uri=REDIRECT)
    with pytest.raises(XError):
        x_gateway.oauth_finish(
            redirect_uri=REDIRECT + "x",
            code=code_for(fake_x, start),
            code_verifier=start.code_verifier,
        )

    start = x_gateway.oauth_start(redirect_uri=REDIRECT)
    settings.X_CLIENT_SECRET = "wrong"
    with pytest.raises(XError) as wrong_secret:
        x_gateway.oauth_finish(
            redirect_uri=REDIRECT, code=code_for(fake_x, start), code_verifier=start.code_verifier
        )
    assert wrong_secret.value.code == "oauth_failed"


def test_the_service_account_posts_tweets_and_the_fake_records_them(fake_x):
    tweet_id = x_gateway.tweet_post("@alice hello")
    assert fake_x.tweets() == [{"id": tweet_id, "text": "@alice hello", "author_id": "1"}]


@pytest.mark.parametrize(
    ("mode", "code"), [("down", "unavailable"), ("rate_limit", "rate_limited")]
)
def test_an_outage_or_rate_limit_is_a_clear_error(fake_x, mode, code):
    fake_x.mode(mode)
    for call in (lambda: x_gateway.user_by_username("alice"), lambda: x_gateway.tweet_post("x")):
        with pytest.raises(XError) as error:
            call()
        assert error.value.code == code


def test_missing_or_wrong_credentials_are_clear_errors(fake_x, settings):
    settings.X_BEARER_TOKEN = ""
    with pytest.raises(XError) as missing:
        x_gateway.user_by_username("alice")
    assert missing.value.code == "not_configured"
    settings.X_BEARER_TOKEN = "wrong"
    with pytest.raises(XError) as wrong:
        x_gateway.user_by_username("alice")
    assert wrong.value.code == "unauthorized"
    settings.X_API_BASE = ""
    with pytest.raises(XError) as no_base:
        x_gateway.user_by_id("42")
    assert no_base.value.code == "not_configured"


def test_a_server_that_never_answers_times_out(settings):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        settings.X_API_BASE = f"http://127.0.0.1:{listener.getsockname()[1]}"
        settings.X_BEARER_TOKEN = "token"
        settings.X_TIMEOUT_SECONDS = 0.3
        with pytest.raises(XError) as error:
            x_gateway.user_by_username("alice")
        assert error.value.code == "unavailable"
    finally:
        listener.close()


def test_a_closed_port_is_unavailable(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.X_API_BASE = f"http://127.0.0.1:{port}"
    settings.X_BEARER_TOKEN = "token"
    with pytest.raises(XError) as error:
        x_gateway.user_by_username("alice")
    assert error.value.code == "unavailable"


def test_garbage_from_x_is_a_bad_response(settings, httpserver_garbage):
    settings.X_API_BASE = httpserver_garbage
    settings.X_BEARER_TOKEN = "token"
    with pytest.raises(XError) as error:
        x_gateway.user_by_username("alice")
    assert error.value.code == "bad_response"


@pytest.fixture
def httpserver_garbage():
    """A loopback server that answers 200 with a body that is not JSON."""
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from threading import Thread

    class Garbage(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>not json</html>")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Garbage)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_fake_serves_a_user_picker_when_nobody_is_logged_in(fake_x):
    start = x_gateway.oauth_start(redirect_uri=REDIRECT)
    page = requests.get(start.authorize_url, timeout=5)
    assert page.status_code == 200
    assert "Sign in as @alice" in page.text
