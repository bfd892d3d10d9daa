"""Old Flattr markup from real sources works here after a host search and replace, in Chromium.

Each page of tests/e2e/corpus/ reconstructs the markup one source emitted (its origin and what
is uncertain are noted at its top) with Flattr's own hosts in it. The test does what the
migration page tells a site owner to do, replace api.flattr.com, button.flattr.com and
flattr.com with our host, and serves the result from a second loopback server: another origin
than the site. A logged-in donor then sees every button the page declares (`expect-buttons`),
clicks each, confirms in the window that opens, and each confirmation counts exactly once;
every badge link (`expect-links`) shows its image at Flattr's size and leads to a flattr too.
No exception may escape into the host page.
"""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connections

from flattr.models import Flattr, LegacyFlattrId, Thing
from tests.browser import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.factories import PASSWORD, fund_user, make_user

pytestmark = BROWSER_MARKS

CORPUS = Path(__file__).resolve().parent / "corpus"
PAGES = sorted(path.name for path in CORPUS.glob("*.html"))
FLATTR_HOSTS = ("api.flattr.com", "button.flattr.com", "flattr.com")  # in this order
IMAGE_SIZES = {
    "flattr-badge-large.png": (93, 20),
    "button-static-50x60.png": (50, 60),
    "button-compact-static-100x17.png": (100, 17),
}


def migrated(html: str, host: str) -> str:
    """The site owner's search and replace (what /migrate/ says), nothing else.

    The test server speaks plain HTTP, so links written as https:// to our host are turned
    into http:// as well; in production the site answers HTTPS and this step is not needed.
    """
    for flattr_host in FLATTR_HOSTS:
        html = html.replace(flattr_host, host)
    return html.replace(f"https://{host}", f"http://{host}")


def expected(html: str, key: str) -> int:
    return int(re.search(rf"^{key}: (\d+)$", html, re.M).group(1))


@pytest.fixture
def corpus_server():
    """Serve pages from http://127.0.0.1:<port>/corpus/<name>: another origin than the site."""
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

    def publish(name: str, html: str) -> str:
        pages[f"/corpus/{name}"] = html.encode()
        return f"{base}/corpus/{name}"

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
        connections.close_all()  # see test_button_embed.real_chromium


@pytest.fixture
def donor_context(live_server, chromium):
    """Pat publishes (also under the old Flattr ids the corpus uses); Dana is logged in."""
    from flattr.selectors import BUTTON_LOCAL_CACHE

    BUTTON_LOCAL_CACHE.clear()
    pat = make_user(username="pat", display_name="Pat Publisher")
    LegacyFlattrId.objects.create(value="23746", kind="uid", user=pat)
    LegacyFlattrId.objects.create(value="j5ox7k", kind="fid", user=pat)
    donor = fund_user(make_user(username="dana", display_name="Dana Donor"))
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(live_server.url + "/accounts/login/")
    page.locator("#id_login").fill("dana")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form:has(#id_password) button[type=submit]").click()
    page.wait_for_url("**/dashboard/")
    page.close()
    return {"context": context, "donor": donor, "pat": pat, "site": live_server.url}


def _confirm_in_popup(page, frame) -> None:
    from playwright.sync_api import expect

    with page.expect_popup() as popup_info:
        frame.locator(".fb-action").click()
    popup = popup_info.value
    confirm = popup.get_by_role("button", name="Flattr this")
    expect(confirm).to_be_visible()
    with popup.expect_event("close", timeout=TIMEOUT_MS):
        confirm.click()


@pytest.mark.parametrize("name", PAGES)
def test_old_markup_works_after_a_host_search_and_replace(
    name, corpus_server, donor_context, settings
):
    from playwright.sync_api import expect

    # The "blog" can only live on loopback here, which is also where the site is; pages that
    # name themselves as the thing (the 2016 widget's document.URL) would be refused as
    # pointing at this site. In production the blog is another host and the check stays on.
    settings.THING_URLS_PRIVATE_ALLOWED = True

    site, donor, context = donor_context["site"], donor_context["donor"], donor_context["context"]
    host = site.removeprefix("http://")
    html = migrated((CORPUS / name).read_text(), host)
    assert "flattr.com" not in html
    buttons, links = expected(html, "expect-buttons"), expected(html, "expect-links")
    url = corpus_server(name, html)

    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    escaped: list[str] = []
    page.on("pageerror", lambda error: escaped.append(str(error)))
    page.goto(url)

    # Every button appears, as an iframe from our origin.
    iframes = page.locator(f"iframe[src*='//{host}/'][src*='view/?']")
    expect(iframes).to_have_count(buttons)
    flattred = 0
    for index in range(buttons):
        frame = iframes.nth(index).content_frame
        expect(frame.locator(".fb-action")).to_be_visible()
        _confirm_in_popup(page, frame)
        flattred += 1
        expect(frame.locator(".fb-count")).to_have_text("1")
        expect(frame.locator(".fb-root")).to_have_class(re.compile(r"\bis-flattred\b"))
        assert Flattr.objects.filter(donor=donor).count() == flattred

    # Every badge link shows its image at Flattr's size, and leads to a flattr.
    badges = page.locator(f"a[href*='/submit/auto']:has(img[src*='//{host}/'])")
    expect(badges).to_have_count(links)
    for index in range(links):
        image = badges.nth(index).locator("img")
        expect(image).to_be_visible()
        size = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        name_of_image = image.get_attribute("src").rsplit("/", 1)[-1]
        assert tuple(size) == IMAGE_SIZES[name_of_image]
        href = badges.nth(index).get_attribute("href")
        target = context.new_page()
        target.set_default_timeout(TIMEOUT_MS)
        target.goto(href)
        target.get_by_role("button", name="Flattr").click()
        target.wait_for_url(re.compile(r"/thing/\d+/$"))
        target.close()
        flattred += 1
        assert Flattr.objects.filter(donor=donor).count() == flattred

    # Each confirmation counted once, each for a thing of Pat's; clicking again adds nothing.
    flattrs = Flattr.objects.filter(donor=donor)
    assert flattrs.count() == buttons + links
    assert {f.thing.owner_id for f in flattrs} == ({donor_context["pat"].pk} if flattred else set())
    assert Thing.objects.filter(flattrs__donor=donor).distinct().count() == buttons + links
    if buttons:
        frame = iframes.first.content_frame
        with page.expect_popup() as popup_info:
            frame.locator(".fb-action").click()
        popup = popup_info.value
        expect(popup.get_by_text("You already flattred this")).to_be_visible()
        popup.close()
        assert Flattr.objects.filter(donor=donor).count() == buttons + links
    assert escaped == []
