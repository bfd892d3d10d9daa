"""The whole claim in real Chromium: the claim link, "Sign in with Twitter", the fake X's consent
page, the short account step and the welcome that shows what was credited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connections

from accounts.models import User
from payments.selectors import balances_for_user, ledger_check
from tests.browser import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.twitter_claims.journeys import make_donor, payday_for
from twitter_claims import services
from twitter_claims.models import PlatformAccount

pytestmark = BROWSER_MARKS


@pytest.fixture
def site(live_server, fake_x, settings):
    """The live site, with the fake X sending browsers back to it."""
    settings.SITE_URL = live_server.url
    fake_x.fake.redirect_uris.add(live_server.url + "/twitter/-/callback/")
    return live_server.url


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        yield context.new_page()
        browser.close()
        # While Playwright's loop runs, Django keys connections by async context, so the ORM
        # calls of the test got a connection of their own: close it before the database goes.
        connections.close_all()


def test_alice_claims_her_pool_in_the_browser(site, browser_page):
    page = browser_page
    donors = [make_donor(budget=1000, funds=5000) for _ in range(2)]
    for donor in donors:
        services.twitter_flattr_add(donor=donor, handle="alice")
    payday_for(dt.date(2025, 3, 1))
    mail.outbox.clear()

    page.goto(f"{site}/twitter/alice/")
    assert "€18.00" in page.inner_text("main")
    page.get_by_role("button", name="Sign in with Twitter to claim").click()

    page.get_by_role("link", name="Sign in as @alice").click()  # the fake X's consent page
    page.wait_for_url(f"{site}/twitter/-/finish/")
    assert page.get_by_label("Username").input_value() == "alice"
    page.get_by_label("Email").fill("alice@example.org")
    page.get_by_role("button", name="Create my account and claim").click()

    page.wait_for_url(f"{site}/twitter/-/welcome/")
    main = page.inner_text("main")
    assert "Welcome, @alice!" in main
    assert "€18.00" in main

    user = User.objects.get(username="alice")
    assert balances_for_user(user)["earnings"] == 1800
    assert PlatformAccount.objects.get(user_id="42").pool.balance == 0
    joined = sorted(m.to[0] for m in mail.outbox if "@alice joined Flattr" in m.subject)
    assert joined == sorted(d.email for d in donors)
    assert ledger_check() == []
