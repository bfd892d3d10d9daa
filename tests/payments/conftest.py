"""Fixtures for money tests: a real localstripe on a free port, and its webhooks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

LOCALSTRIPE_START_SECONDS = 20
# Where localstripe sends webhooks between tests, so a late event never lands in a later test.
NOWHERE = "http://127.0.0.1:9/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float = 15.0, interval: float = 0.1, message: str = ""):
    """Poll `predicate` until it returns something truthy; return that, or fail the test."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(message or f"timed out after {timeout} s waiting for {predicate}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def localstripe_url():
    """Start localstripe (from scratch) on a free loopback port for this test session."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail("localstripe exited at start")
        request = urllib.request.Request(
            f"{url}/v1/customers", headers={"Authorization": "Bearer sk_test_up"}
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    try:
        wait_for(up, timeout=LOCALSTRIPE_START_SECONDS, message="localstripe did not start")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def localstripe_webhook(localstripe_url: str, *, url: str, secret: str, hook_id: str = "pytest"):
    """Point localstripe's webhook `hook_id` at `url`, signing with `secret`."""
    body = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
    request = urllib.request.Request(
        f"{localstripe_url}/_config/webhooks/{hook_id}", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


@pytest.fixture
def stripe_local(settings, localstripe_url):
    """Settings pointing the gateway at this session's localstripe (test cards flow)."""
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_SECRET_KEY = "sk_test_pytest"
    settings.STRIPE_DEPOSIT_FLOW = "test_cards"
    return localstripe_url


@pytest.fixture
def stripe_webhooks_to(stripe_local, settings):
    """Return a function that points localstripe's webhooks at a URL; on teardown they point
    nowhere, so events still in flight cannot reach the next test."""
    hooks = []

    def point(url: str, hook_id: str = "pytest") -> None:
        localstripe_webhook(
            stripe_local, url=url, secret=settings.STRIPE_WEBHOOK_SECRET, hook_id=hook_id
        )
        hooks.append(hook_id)

    yield point
    for hook_id in hooks:
        localstripe_webhook(stripe_local, url=NOWHERE, secret="whsec_nowhere", hook_id=hook_id)


@pytest.fixture(scope="session")
def _fake_connect_server():
    """One fake Stripe Connect on a free loopback port for the session (payments/fake_connect)."""
    from payments.fake_connect import FakeConnect, serve

    fake = FakeConnect()
    server = serve(fake)
    yield fake, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_connect(_fake_connect_server, settings):
    """The fake Connect, emptied, with the gateway's Connect calls pointed at it over HTTP."""
    from tests.payments.payouts_flow import FakeConnectClient

    fake, base = _fake_connect_server
    fake.reset()
    settings.STRIPE_CONNECT_API_BASE = base
    return FakeConnectClient(base=base, fake=fake)
