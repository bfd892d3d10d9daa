"""`make run`: the demo pools, the development settings and the fake X as a program."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from payments.selectors import ledger_check
from twitter_claims import demo
from twitter_claims.models import PlatformAccount

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_the_demo_fills_two_pools_once():
    out = io.StringIO()
    demo.load(out)
    held = dict(PlatformAccount.objects.values_list("handle", "pool__balance"))
    # ben €10 over two, cleo €5 over one, dana €20 over two; 10 % fee each.
    assert held == {"carol": 450 + 450 + 900, "dave": 450 + 900}
    assert "Claim at http://127.0.0.1:8000/twitter/carol/" in out.getvalue()
    demo.load(out)
    assert PlatformAccount.objects.count() == 2
    assert ledger_check() == []


def test_development_settings_point_at_the_fake_x_with_its_credentials():
    env = {k: v for k, v in os.environ.items() if not k.startswith("X_")}
    # A DATABASE_URL that is parsed, never connected to (no embedded server is started).
    env.update(
        FLATTR_ENV="development",
        DJANGO_SETTINGS_MODULE="flattr.settings",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
    )
    code = (
        "from django.conf import settings as s; "
        "print(s.X_API_BASE, s.X_AUTHORIZE_URL, s.X_TOKEN_URL, s.X_CLIENT_ID, s.X_BEARER_TOKEN)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    from twitter_claims import fake_x

    assert out == [
        "http://127.0.0.1:8421",
        "http://127.0.0.1:8421/i/oauth2/authorize",
        "http://127.0.0.1:8421/2/oauth2/token",
        fake_x.DEV_CLIENT_ID,
        fake_x.DEV_APP_BEARER,
    ]


def test_the_fake_x_runs_as_a_program():
    process = subprocess.Popen(
        [sys.executable, "-m", "twitter_claims.fake_x", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        base = line.split()[3].rstrip("/")
        state = requests.post(f"{base}/_fake/state", json={}, timeout=5).json()
        assert {u["username"] for u in state["users"]} >= {"alice", "bob", "carol", "dave"}
        lookup = requests.get(
            f"{base}/2/users/by/username/carol",
            headers={"Authorization": "Bearer fake-app-bearer"},
            timeout=5,
        )
        assert lookup.json()["data"]["id"] == "1001"
    finally:
        process.terminate()
        process.wait(timeout=10)
