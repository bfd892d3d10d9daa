"""Oversized bodies, fields and headers get a clear 4xx, never a 500 and never a half-made change.

Bodies are Django's to refuse (DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS, the
forms' max_length); header and request-line sizes are gunicorn's, the server production runs, so
those are sent over a socket to a real gunicorn started with the production command's options.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from flattr.models import Thing
from tests.factories import make_user

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parents[2]
TOO_BIG = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024
HEAD = b"Host: 127.0.0.1\r\n"  # an allowed host, so a 400 is about size, not the host


@pytest.fixture
def publisher_client():
    client = Client()
    client.force_login(make_user())
    return client


def test_a_form_body_over_the_upload_limit_is_a_400_and_creates_nothing(publisher_client):
    body = "title=" + "a" * TOO_BIG
    response = publisher_client.post(
        reverse("thing_submit"), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert not Thing.objects.exists()


def test_more_form_fields_than_allowed_is_a_400(publisher_client):
    fields = "&".join(f"f{i}=x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = publisher_client.post(
        reverse("thing_submit"), fields, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


def test_a_webhook_body_over_the_limit_is_a_400():
    response = Client().post(
        reverse("payments:stripe_webhook"),
        b"{" + b" " * TOO_BIG + b"}",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=00",
    )
    assert response.status_code == 400


def test_fields_far_over_their_length_are_refused_by_the_form_in_words(publisher_client):
    response = publisher_client.post(
        reverse("thing_submit"),
        {
            "url": "https://example.org/" + "a" * 100_000,
            "title": "t" * 100_000,
            "description": "d" * 500_000,
            "category": "text",
            "tags": ",".join(["tag"] * 10_000),
        },
    )
    assert response.status_code == 400
    assert {"url", "title", "description"} <= set(response.context["form"].errors)
    assert not Thing.objects.exists()


def test_huge_parameters_in_links_and_buttons_are_a_4xx(publisher_client):
    make_user(username="pat")
    huge = "x" * 200_000
    for name, params in (
        ("auto_submit", {"user_id": "pat", "url": "https://example.org/" + huge, "title": "Hi!"}),
        ("auto_submit", {"user_id": huge, "url": "https://example.org/", "title": "Hi!"}),
        ("button_view", {"uid": "pat", "url": "https://example.org/" + huge}),
        ("button_view", {"uid": huge, "url": "https://example.org/"}),
        ("flattr_confirm", {"user_id": "pat", "url": "https://example.org/", "title": huge}),
        ("explore", {"q": huge}),
    ):
        response = Client().get(reverse(name), params)
        assert response.status_code < 500, name
        assert response.status_code != 200 or name == "explore", name


# ---- Through gunicorn ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raw_request(port: int, data: bytes) -> str:
    """Send raw bytes; return the status line gunicorn answers with."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    return reply.split(b"\r\n", 1)[0].decode()


def database_url_of_this_run() -> str:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    if host.startswith("/"):  # the embedded server's socket directory, read as it is from here
        return f"postgres://{db['USER']}@/{db['NAME']}?host={quote(host)}&port={port}"
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"


@pytest.fixture(scope="module")
def gunicorn(django_db_setup, django_db_blocker):
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "ENV_FILE": "/nonexistent/.env",
        "EMBEDDED_REDIS": "false",  # nothing here needs the cache
        "FLATTR_ENV": "development",
        "DEBUG": "false",
        "DATABASE_URL": database_url_of_this_run(),
    }
    # The production command (Dockerfile, docker-compose.yml) with its default limits.
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "flattr.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--log-level", "warning"],
        cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            raw_request(port, b"GET /healthz HTTP/1.1\r\n" + HEAD + b"\r\n")
            break
        except OSError:
            assert server.poll() is None, "gunicorn exited"
            time.sleep(0.2)
    else:
        pytest.fail("gunicorn did not answer")
    yield port
    server.terminate()
    server.wait(timeout=30)


OVERSIZED = {
    "long request line": b"GET /explore/?q=" + b"a" * 10_000 + b" HTTP/1.1\r\n" + HEAD,
    "huge header": b"GET / HTTP/1.1\r\n" + HEAD + b"X-Big: " + b"a" * 20_000 + b"\r\n",
    "too many headers": b"GET / HTTP/1.1\r\n"
    + HEAD
    + b"".join(b"X-H%d: v\r\n" % i for i in range(200)),
    "huge cookie": b"GET / HTTP/1.1\r\n" + HEAD + b"Cookie: " + b"s=1;" * 5_000 + b"\r\n",
}


def test_gunicorn_answers_an_ordinary_request(gunicorn):
    assert raw_request(gunicorn, b"GET /healthz HTTP/1.1\r\n" + HEAD + b"\r\n").endswith("200 OK")


@pytest.mark.parametrize("name", OVERSIZED)
def test_gunicorn_refuses_oversized_request_lines_and_headers_with_a_400(gunicorn, name):
    status = raw_request(gunicorn, OVERSIZED[name] + b"\r\n")
    assert status.split()[1] in {"400", "414", "431"}, status


def test_a_body_over_the_limit_through_gunicorn_is_a_400(gunicorn):
    body = b"{" + b" " * TOO_BIG + b"}"
    head = (
        b"POST /payments/stripe/webhook/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nStripe-Signature: t=1,v1=00\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    )
    assert raw_request(gunicorn, head + body).split()[1] == "400"
