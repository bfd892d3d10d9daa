"""The button on a third-party blog, in real Chromium.

A tiny http.server on another port plays the blog (another origin) and embeds the snippet; the
site runs in Django's live server. The button renders with its count, a click opens the
confirmation window on our origin, the donor logs in there and confirms, exactly one flattr is
recorded, and the iframe shows the new count. Without JavaScript the snippet is a working link.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections

from flattr.models import Flattr, Thing
from flattr.services import flattr_add
from tests.browser import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.factories import PASSWORD, fund_user, make_thing, make_user

pytestmark = BROWSER_MARKS

BLOG_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Pat's blog</title></head>
<body>
<h1>Pat's first post</h1>
<p>Some words about bees.</p>
<a class="FlattrButton" href="{site}/thing/{thing_id}/" data-flattr-uid="pat"
   data-flattr-url="https://pat.example.org/post-1" title="Pat's first post">Flattr this</a>
<h2>A post nobody submitted yet</h2>
<a class="FlattrButton" href="https://pat.example.org/post-2" title="Pat's second post"
   rel="flattr;uid:pat;category:text;tags:bees,honey;button:compact;">More about bees</a>
<script src="{site}/js/load.js" async></script>
</body></html>
"""


@pytest.fixture
def blog(live_server):
    """Serve the blog page from http://127.0.0.1:<port>/ — another origin than the site."""
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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def publish(html: str) -> str:
        pages["/post-1"] = html.encode()
        return base + "/post-1"

    yield publish
    server.shutdown()
    server.server_close()


@pytest.fixture
def real_chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        # While Playwright's loop runs, Django keys connections by async context, so ORM calls
        # made meanwhile got a connection of their own: close it, or the test database cannot
        # be dropped at the end of the run.
        connections.close_all()


@pytest.fixture
def story(live_server, blog):
    """Pat's published thing with two flattrs already, a donor with means, the blog page."""
    from flattr.selectors import BUTTON_LOCAL_CACHE

    BUTTON_LOCAL_CACHE.clear()
    pat = make_user(username="pat", display_name="Pat Publisher")
    thing = make_thing(owner=pat, url="https://pat.example.org/post-1", title="Pat's first post")
    for _ in range(2):
        flattr_add(donor=fund_user(make_user()), thing=thing)
    donor = fund_user(make_user(username="dana", display_name="Dana Donor"))
    url = blog(BLOG_PAGE.format(site=live_server.url, thing_id=thing.pk))
    return {"thing": thing, "donor": donor, "blog_url": url, "site": live_server.url}


def test_a_visitor_flattrs_from_a_third_party_blog_through_the_confirmation_window(
    real_chromium, story
):
    from playwright.sync_api import expect

    thing, donor = story["thing"], story["donor"]
    page = real_chromium.new_context().new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(story["blog_url"])

    # The script turned both anchors into iframes from our origin; the large one shows 2.
    expect(page.locator("iframe.FlattrButton")).to_have_count(2)
    large = page.frame_locator("iframe.FlattrButton-large")
    expect(large.locator(".fb-count")).to_have_text("2")
    compact = page.frame_locator("iframe.FlattrButton-compact")
    expect(compact.locator(".fb-count")).to_have_text("0")
    assert (
        page.locator("iframe.FlattrButton-large")
        .get_attribute("src")
        .startswith(story["site"] + "/button/view/?")
    )

    # A click opens a top-level window on our origin; the iframe itself moves nothing.
    with page.expect_popup() as popup_info:
        large.locator(".fb-action").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert popup.url.startswith(story["site"] + "/flattr/confirm/")
    expect(popup.get_by_role("heading", name="Pat's first post")).to_be_visible()
    assert not Flattr.objects.filter(donor=donor).exists()

    # Logged out: log in right there and come back to the same confirmation.
    popup.get_by_role("link", name="Log in").click()
    popup.locator("#id_login").fill("dana")
    popup.locator("#id_password").fill(PASSWORD)
    popup.locator("form.stack-form button[type=submit]").click()
    confirm = popup.get_by_role("button", name="Flattr this")
    expect(confirm).to_be_visible()
    assert "/flattr/confirm/" in popup.url

    # One click confirms; the window tells the iframe and closes itself.
    with popup.expect_event("close", timeout=TIMEOUT_MS):
        confirm.click()
    expect(large.locator(".fb-count")).to_have_text("3")
    expect(large.locator(".fb-root")).to_have_class("fb-root is-flattred")
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1
    assert Flattr.objects.filter(thing=thing).count() == 3


def test_the_first_flattr_of_an_unsubmitted_url_creates_the_thing(real_chromium, story):
    from playwright.sync_api import expect

    context = real_chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    # Already logged in on the site (a first-party cookie the popup will carry).
    page.goto(story["site"] + "/accounts/login/")
    page.locator("#id_login").fill("dana")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form:has(#id_password) button[type=submit]").click()
    page.wait_for_url("**/dashboard/")

    page.goto(story["blog_url"])
    compact = page.frame_locator("iframe.FlattrButton-compact")
    expect(compact.locator(".fb-count")).to_have_text("0")
    with page.expect_popup() as popup_info:
        compact.locator(".fb-action").click()
    popup = popup_info.value
    expect(popup.get_by_role("heading", name="Pat's second post")).to_be_visible()
    with popup.expect_event("close", timeout=TIMEOUT_MS):
        popup.get_by_role("button", name="Flattr this").click()
    expect(compact.locator(".fb-count")).to_have_text("1")

    thing = Thing.objects.get(url="https://pat.example.org/post-2")
    assert thing.owner.username == "pat"
    assert thing.tags == ["bees", "honey"]
    assert thing.category == "text"
    assert Flattr.objects.filter(donor=story["donor"], thing=thing).count() == 1


def test_without_javascript_the_snippet_is_a_working_link(real_chromium, story):
    from playwright.sync_api import expect

    page = real_chromium.new_context(java_script_enabled=False).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(story["blog_url"])

    expect(page.locator("iframe")).to_have_count(0)
    link = page.get_by_role("link", name="Flattr this")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"{story['site']}/thing/{story['thing'].pk}/")
    expect(page.get_by_role("heading", name="Pat's first post")).to_be_visible()
    expect(page.get_by_role("link", name="Log in to flattr")).to_be_visible()


MANY_BUTTONS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Many buttons</title></head>
<body>
{anchors}
<div id="later"></div>
<script src="{site}/js/0.6/load.js?mode=manual&amp;uid=pat&amp;button=compact"></script>
</body></html>
"""


def test_many_buttons_cost_one_script_and_the_javascript_api_works(real_chromium, story, blog):
    from playwright.sync_api import expect

    anchors = "\n".join(
        f'<a class="FlattrButton" href="https://pat.example.org/post-{n}" '
        f'title="Post number {n}">Post {n}</a>'
        for n in range(1, 6)
    )
    url = blog(MANY_BUTTONS_PAGE.format(site=story["site"], anchors=anchors))
    page = real_chromium.new_context().new_page()
    page.set_default_timeout(TIMEOUT_MS)
    loader_requests = []
    page.on("request", lambda r: loader_requests.append(r.url) if "load.js" in r.url else None)
    page.goto(url)

    # mode=manual: nothing happens until the page asks.
    expect(page.locator("a.FlattrButton")).to_have_count(5)
    assert page.evaluate("FlattrLoader.setup()") == 5
    expect(page.locator("iframe.FlattrButton-compact")).to_have_count(5)  # uid, button: script
    first = page.frame_locator("iframe.FlattrButton-compact").first
    expect(first.locator(".fb-count")).to_have_text("2")  # post-1 is the story's thing
    page.evaluate(
        "FlattrLoader.render({uid: 'pat', url: 'https://pat.example.org/post-9',"
        " title: 'Rendered later', button: 'large'}, 'later', 'append')"
    )
    expect(page.locator("#later iframe.FlattrButton-large")).to_have_count(1)
    assert len(loader_requests) == 1


def test_the_embed_page_previews_the_buttons_and_copies_snippets(real_chromium, story):
    from playwright.sync_api import expect

    site = story["site"]
    context = real_chromium.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(site + "/accounts/login/")
    page.locator("#id_login").fill("pat")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form:has(#id_password) button[type=submit]").click()
    page.wait_for_url("**/dashboard/")
    page.goto(f"{site}/thing/{story['thing'].pk}/embed/")

    large = page.frame_locator("iframe.button-frame").first
    expect(large.locator(".fb-count")).to_have_text("2")
    expect(page.locator("img[src$='badge.svg']")).to_be_visible()
    copy = page.locator("[data-copy='snippet-compact']")
    copy.click()
    expect(copy).to_have_text("Copied!")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert 'data-flattr-button="compact"' in copied and "/js/load.js" in copied
    assert errors == []
