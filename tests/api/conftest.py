"""Fixtures for the API tests: users, things, and Bearer tokens with chosen scopes."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import Client

from flattr.api.services import personal_token_create
from tests.factories import fund_user, make_thing, make_user
from tests.twitter_claims.conftest import _fake_x_server, fake_x  # noqa: F401 (the fake X)


@pytest.fixture
def publisher(db):
    return make_user(username="pat", display_name="Pat Publisher")


@pytest.fixture
def thing(publisher):
    return make_thing(
        owner=publisher,
        url="https://pat.example.org/post-1",
        title="Pat's first post",
        tags="music,live",
        category="audio",
    )


@pytest.fixture
def donor(db):
    # A public supporter (the site's default is not public since the public site's privacy
    # settings): Flattr's public activities and thing flattrs list her.
    return fund_user(make_user(username="anna", display_name="Anna Donor", show_as_supporter=True))


def token_for(user, scopes="flattr thing email extendedread") -> str:
    return personal_token_create(user=user, scopes=scopes.split()).value


class ApiClient(Client):
    """A test client that sends `Authorization: Bearer <token>` when given one."""

    def __init__(self, token: str | None = None):
        super().__init__(enforce_csrf_checks=True)
        self.token = token

    def generic(self, method, path, *args, **kwargs):
        if self.token:
            kwargs["headers"] = dict(kwargs.get("headers") or {})
            kwargs["headers"].setdefault("Authorization", f"Bearer {self.token}")
        return super().generic(method, path, *args, **kwargs)


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def donor_api(donor):
    return ApiClient(token_for(donor))


@pytest.fixture
def publisher_api(publisher):
    return ApiClient(token_for(publisher))


@pytest.fixture
def receiver():
    """A loopback HTTP server that records each POST and answers the next queued status."""
    calls, statuses = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            calls.append((dict(self.headers), body))
            self.send_response(statuses.pop(0) if statuses else 200)
            self.end_headers()
            self.wfile.write(b"thanks")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", calls, statuses
    server.shutdown()
