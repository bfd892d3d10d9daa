"""The login page's "Log in with GitHub / Mastodon" buttons in real Chromium: the page's CSP
must let its form lead to the provider (GitHub directly; Mastodon after the instance step), and
the provider's answer signs in the user who connected that account."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test import Client

from tests.browser import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.factories import make_user
from tests.twitter_claims.conftest import mastodon_round_trip, provider_round_trip

pytestmark = BROWSER_MARKS


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        yield context.new_page()
        browser.close()
        connections.close_all()


def approve(page, fake, as_user: str, site: str) -> None:
    """The fakes have no consent page: the browser is on their authorize URL; approve there."""
    page.wait_for_url(f"{fake.base}/**")
    page.goto(page.url + f"&as={as_user}")
    page.wait_for_url(f"{site}/dashboard/")
    assert page.get_by_role("button", name="Log out").count() or "Log out" in page.content()


def test_log_in_with_github_and_with_mastodon_from_the_login_page(
    live_server, settings, fake_github, fake_mastodon, browser_page
):
    site = settings.SITE_URL = live_server.url
    fake_github.fake.clients["test-github"][1].add(site + "/github/-/callback/")
    owner = make_user(username="octo")
    claimer = Client()
    claimer.force_login(owner)
    # Connected over the test client first (it follows the callback by its path).
    provider_round_trip(claimer, fake_github, "github", as_user="583231")
    mastodon_round_trip(claimer, fake_mastodon["one.example"], "one.example", as_user="109")

    page = browser_page
    page.goto(f"{site}/accounts/login/")
    page.get_by_role("button", name="Log in with GitHub").click()
    approve(page, fake_github, "583231", site)  # the dashboard: signed in

    page.context.clear_cookies()
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Your Mastodon server").fill("one.example")
    page.get_by_role("button", name="Log in with Mastodon").click()
    page.get_by_role("button", name="Continue to one.example").click()
    approve(page, fake_mastodon["one.example"], "109", site)


def test_connect_github_and_mastodon_from_the_connected_accounts_page(
    live_server, settings, fake_github, fake_mastodon, browser_page
):
    """Settings → connected accounts in real Chromium: the page's CSP lets "Connect GitHub"
    lead to GitHub, and "Connect Mastodon" asks for the instance on a page that lets it lead
    there; each ends with the account connected to the signed-in user."""
    from django.conf import settings as django_settings

    from twitter_claims.models import PlatformAccount

    site = settings.SITE_URL = live_server.url
    fake_github.fake.clients["test-github"][1].add(site + "/github/-/callback/")
    owner = make_user(username="octo")
    signed_in = Client()
    signed_in.force_login(owner)
    page = browser_page
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": signed_in.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security" in message.text else None
        ),
    )

    page.goto(f"{site}/platforms/connected/")
    page.get_by_role("button", name="Connect GitHub").click()
    page.wait_for_url(f"{fake_github.base}/**")
    page.goto(page.url + "&as=583231")
    page.wait_for_url(f"{site}/**")
    assert PlatformAccount.objects.get(provider="github", user_id="583231").claimed_by == owner

    page.goto(f"{site}/platforms/connected/")
    page.get_by_label("Your Mastodon server").fill("one.example")
    page.get_by_role("button", name="Connect Mastodon").click()
    page.get_by_role("button", name="Continue to one.example").click()
    page.wait_for_url(f"{fake_mastodon['one.example'].base}/**")
    page.goto(page.url + "&as=109")
    page.wait_for_url(f"{site}/**")
    account = PlatformAccount.objects.get(provider="mastodon", domain="one.example")
    assert account.claimed_by == owner
    assert blocked == []
