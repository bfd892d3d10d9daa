"""The public pages in real Chromium, in English and German, at 390 and 1280 px: a screenshot of
each, kept under test-artifacts/public/ (git ignores it; not test-results/, which
pytest-playwright empties at every start), and no serious or critical axe-core violation
(axe-playwright-python bundles axe, no network needed)."""

from pathlib import Path

import pytest

from flattr.models import Thing
from flattr.services import flattr_add
from tests.browser import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.factories import fund_user, make_thing, make_user

pytestmark = BROWSER_MARKS
SHOTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "public"
WIDTHS = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 900}}
BAD_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="module")
def chrome():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _site():
    """A small, lived-in site: a publisher with tagged things, a donor, a held Twitter pool."""
    pat = make_user(username="pat", display_name="Pat Publisher", about="I write about bees.")
    thing = make_thing(
        owner=pat,
        title="Keeping bees in the city",
        description="How to keep hives on a roof, and what the honey tastes like.",
        tags=["bees", "honey"],
        category=Thing.Category.TEXT,
    )
    make_thing(
        owner=pat, title="Imkern auf dem Balkon", description="Bienenhäuser für Anfänger",
        language="de_DE", tags=["bienen"],
    )  # fmt: skip
    donor = fund_user(make_user(username="dora", show_as_supporter=True))
    flattr_add(donor=donor, thing=thing)
    return {
        "home": "/",
        "explore": "/explore/",
        "search": "/explore/?q=bee",
        "thing": thing.get_absolute_url(),
        "profile": pat.get_absolute_url(),
        "transparency": "/transparency/",
        "waiting": "/twitter/",
    }


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BAD_IMPACTS
    ]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_every_public_page_is_screenshotted_and_has_no_serious_axe_violation(
    live_server, chrome, language, width
):
    pages = _site()
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chrome.new_context(viewport=WIDTHS[width], locale=language)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems = {}
    try:
        for name, path in pages.items():
            page.goto(live_server.url + path)
            assert page.evaluate("document.documentElement.lang") == language
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}"
            page.screenshot(path=str(SHOTS / f"{name}-{language}-{width}.png"), full_page=True)
            found = _serious(page)
            if found:
                problems[name] = found
    finally:
        context.close()

    assert problems == {}
