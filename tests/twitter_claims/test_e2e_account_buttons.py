"""Buttons for platform accounts behave like buttons for things, in real Chromium (issue #14).

A blog on another origin carries a large and a compact button for one account (and a compact
one for another account). A click opens the same small confirmation window as a thing's (not
the whole account page); after the flattr every button of that account on the page shows the
new count and the flattred state, and the other account's button does not; a second click
shows "You already flattred …", not a second offer. Each platform through its loopback fake.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from flattr.models import Flattr
from flattr.services import flattr_add
from payments.selectors import ledger_check
from tests.browser import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.factories import make_thing, make_user
from tests.twitter_claims.journeys import make_donor
from twitter_claims import services
from twitter_claims.models import PlatformAccount
from twitter_claims.providers import provider_find
from twitter_claims.services.accounts import account_flattr_add

pytestmark = BROWSER_MARKS

BLOG_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A blog</title></head>
<body>
<h1>Support the people I write about</h1>
<p><a class="FlattrButton" {attrs} href="{site}{page}">Flattr {label}</a></p>
<p><a class="FlattrButton" {compact_attrs} data-flattr-button="compact">Flattr {label}</a></p>
<p id="other"><a class="FlattrButton" data-flattr-platform="{other_platform}"
   data-flattr-account="{other_account}" data-flattr-button="compact">Someone else</a></p>
<script src="{site}/js/load.js" async></script>
</body></html>
"""

THING_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Pat's blog</title></head>
<body>
<a class="FlattrButton" data-flattr-uid="pat" data-flattr-url="https://pat.example.org/p1"
   title="Post one">Flattr this</a>
<a class="FlattrButton" data-flattr-uid="pat" data-flattr-url="https://pat.example.org/p1"
   data-flattr-button="compact" title="Post one">Flattr this</a>
<script src="{site}/js/load.js" async></script>
</body></html>
"""


@pytest.fixture
def blog():
    """Serve pages from http://127.0.0.1:<port>/ — another origin than the site."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path.split("?")[0])
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def publish(html: str) -> str:
        pages["/post"] = html.encode()
        return base + "/post"

    yield publish
    server.shutdown()
    server.server_close()


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()  # the ORM's connections made while Playwright's loop ran


@pytest.fixture
def fakes(live_server, fake_x, fake_github, fake_mastodon, fake_facebook):
    from flattr.selectors import BUTTON_LOCAL_CACHE

    BUTTON_LOCAL_CACHE.clear()
    return live_server.url


def logged_in_page(chromium, site: str, user):
    """A browser that is logged in on the site (its session cookie, first-party)."""
    client = Client()
    client.force_login(user)
    context = chromium.new_context(locale="en-GB")
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def flattr_other(platform: str, account: str) -> None:
    """Someone else flattred the account already (so the counts start at 1)."""
    donor = make_donor(budget=1000, funds=5000)
    if platform == "twitter":
        services.twitter_flattr_add(donor=donor, handle=account)
    else:
        account_flattr_add(donor=donor, provider=provider_find(platform), raw=account)


def account_thing_id(platform: str, account: str) -> int:
    accounts = PlatformAccount.objects.filter(provider=platform)
    if platform == "twitter":
        return accounts.get(handle__iexact=account).thing_id
    handle, domain = provider_find(platform).account_parse(account)
    return accounts.get(handle__iexact=handle, domain=domain).thing_id


# (platform, account as the markup names it, its label, its page, the other account on the
# same page)
PLATFORMS = [
    ("twitter", "bob", "@bob", "/twitter/bob/", "alice"),
    ("github", "octocat", "@octocat", "/github/octocat/", "hubot"),
    # The same user name on another instance is another account, whose button stays as it was.
    (
        "mastodon",
        "anna@one.example",
        "@anna@one.example",
        "/mastodon/anna@one.example/",
        "anna@two.example",
    ),
    ("facebook", "bakery.berlin", "bakery.berlin", "/facebook/bakery.berlin/", ""),
]


@pytest.mark.parametrize(("platform", "account", "label", "page_path", "other"), PLATFORMS)
def test_an_account_button_opens_the_confirmation_window_and_every_button_of_it_updates(
    chromium, fakes, blog, platform, account, label, page_path, other
):
    from playwright.sync_api import expect

    site = fakes
    flattr_other(platform, account)
    if other:
        flattr_other(platform, other)
    attrs = compact_attrs = f'data-flattr-platform="{platform}" data-flattr-account="{account}"'
    if platform == "twitter":
        compact_attrs = 'data-flattr-twitter="bob"'  # X's older parameter: the same account
    other_platform, other_account = (platform, other) if other else ("twitter", "alice")
    url = blog(
        BLOG_PAGE.format(
            site=site,
            attrs=attrs,
            compact_attrs=compact_attrs,
            page=page_path,
            label=label,
            other_platform=other_platform,
            other_account=other_account,
        )
    )
    donor = make_donor(budget=1000, funds=5000, username="dana")
    page = logged_in_page(chromium, site, donor)
    page.goto(url)

    expect(page.locator("iframe.FlattrButton")).to_have_count(3)
    large = page.frame_locator("iframe.FlattrButton-large")
    compact = page.frame_locator("p:nth-of-type(2) iframe.FlattrButton-compact")
    someone_else = page.frame_locator("#other iframe")
    expect(large.locator(".fb-count")).to_have_text("1")
    expect(compact.locator(".fb-count")).to_have_text("1")

    # The click opens the small confirmation window on our origin, not the account page.
    with page.expect_popup() as popup_info:
        large.locator(".fb-action").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert popup.url.startswith(site + "/flattr/confirm/?")
    expect(popup.get_by_role("heading", name=label)).to_be_visible()
    confirm = popup.get_by_role("button", name=f"Flattr {label}")
    expect(confirm).to_be_visible()
    assert not Flattr.objects.filter(donor=donor).exists()

    # A double click is one flattr; the window tells the button and closes.
    with popup.expect_event("close", timeout=TIMEOUT_MS):
        confirm.dblclick()
    thing_id = account_thing_id(platform, account)
    flattrs = Flattr.objects.filter(donor=donor)
    assert [(f.thing_id, f.source) for f in flattrs] == [(thing_id, Flattr.Source.BUTTON)]

    # Every button of this account on the page shows it, the large and the compact one.
    for button in (large, compact):
        expect(button.locator(".fb-count")).to_have_text("2")
        expect(button.locator(".fb-root")).to_have_class("fb-root is-flattred")
    # Another account's button is not touched.
    expect(someone_else.locator(".fb-root")).not_to_have_class("fb-root is-flattred")
    assert "is-flattred" not in someone_else.locator(".fb-root").get_attribute("class")

    # A second click (on the compact one) shows the flattred state, not a second offer.
    with page.expect_popup() as popup_info:
        compact.locator(".fb-action").click()
    again = popup_info.value
    again.wait_for_load_state()
    assert again.url.startswith(site + "/flattr/confirm/?")
    expect(again.get_by_text(f"You already flattred {label} in")).to_be_visible()
    expect(again.get_by_role("button", name=f"Flattr {label}")).to_have_count(0)
    again.close()
    assert Flattr.objects.filter(donor=donor).count() == 1
    assert ledger_check() == []


def test_a_thing_button_updates_the_compact_and_the_large_button_of_the_same_thing(
    chromium, fakes, blog
):
    from playwright.sync_api import expect

    site = fakes
    pat = make_user(username="pat")
    thing = make_thing(owner=pat, url="https://pat.example.org/p1", title="Post one")
    flattr_add(donor=make_donor(budget=1000, funds=5000), thing=thing)
    donor = make_donor(budget=1000, funds=5000)
    page = logged_in_page(chromium, site, donor)
    page.goto(blog(THING_PAGE.format(site=site)))

    large = page.frame_locator("iframe.FlattrButton-large")
    compact = page.frame_locator("iframe.FlattrButton-compact")
    expect(compact.locator(".fb-count")).to_have_text("1")
    with page.expect_popup() as popup_info:
        compact.locator(".fb-action").click()
    popup = popup_info.value
    with popup.expect_event("close", timeout=TIMEOUT_MS):
        popup.get_by_role("button", name="Flattr this").click()
    for button in (compact, large):
        expect(button.locator(".fb-count")).to_have_text("2")
        expect(button.locator(".fb-root")).to_have_class("fb-root is-flattred")
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1
