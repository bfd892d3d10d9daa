"""The site frame and the account pages in real Chromium: phone width, CSP, language, sign-up."""

import re

import pytest
from django.core import mail

from accounts.models import User
from tests.browser import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

PHONE = {"width": 375, "height": 740}
PASSWORD = "a long passphrase 123"

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def chrome():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(chrome):
    """A fresh phone-sized tab that records console errors (CSP violations land there)."""
    context = chrome.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.problems = []
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(msg.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    context.close()


def test_the_main_pages_fit_a_phone_and_break_no_csp_rule(live_server, tab):
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        tab.goto(live_server.url + path)

        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        assert tab.locator("link[rel=stylesheet]").count() == 1
        assert tab.evaluate("getComputedStyle(document.body).margin") == "0px", "CSS loaded"
    assert tab.problems == []


def test_the_first_tab_reaches_the_skip_link(live_server, tab):
    tab.goto(live_server.url + "/")

    tab.keyboard.press("Tab")

    assert tab.evaluate("document.activeElement.textContent.trim()") == "Skip to content"


def test_on_a_phone_the_navigation_opens_from_the_menu_button(live_server, tab):
    tab.goto(live_server.url + "/")
    menu = tab.get_by_role("button", name="Menu")
    log_in = tab.locator("#site-menu").get_by_role("link", name="Log in")

    assert menu.get_attribute("aria-expanded") == "false"
    assert not log_in.is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert log_in.is_visible()


def test_on_a_wide_screen_the_navigation_is_always_shown(live_server, chrome):
    context = chrome.new_context(viewport={"width": 1200, "height": 800})
    wide = context.new_page()
    wide.goto(live_server.url + "/")

    assert not wide.get_by_role("button", name="Menu").is_visible()
    assert wide.locator("#site-menu").get_by_role("link", name="Log in").is_visible()
    context.close()


def test_the_footer_switch_turns_the_site_german(live_server, tab):
    tab.goto(live_server.url + "/")

    tab.select_option("#language-select", "de")
    tab.get_by_role("button", name="Switch").click()

    tab.wait_for_url(live_server.url + "/")
    assert tab.locator("html").get_attribute("lang") == "de"
    assert tab.locator("h1").inner_text() == "Unterstütze, was du liebst – mit einem Klick."
    assert tab.get_by_role("button", name="Menü").is_visible()


def test_signing_up_verifying_and_logging_in_in_the_browser(live_server, tab):
    tab.goto(live_server.url + "/accounts/signup/")
    tab.get_by_label("Email").fill("newbie@example.org")
    tab.get_by_label("Username").fill("newbie")
    tab.get_by_label("Password:", exact=True).fill(PASSWORD)
    tab.get_by_label("Password (again)").fill(PASSWORD + " typo")
    tab.get_by_role("button", name="Sign up").click()

    # The error sits with the field it is about, announced through aria-describedby.
    again = tab.get_by_label("Password (again)")
    assert again.get_attribute("aria-invalid") == "true"
    error_id = again.get_attribute("aria-describedby").split()[-1]
    assert "same password" in tab.locator(f"#{error_id}").inner_text()
    assert tab.get_by_label("Email").input_value() == "newbie@example.org"

    tab.get_by_label("Password:", exact=True).fill(PASSWORD)
    tab.get_by_label("Password (again)").fill(PASSWORD)
    tab.get_by_role("button", name="Sign up").click()
    tab.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    assert User.objects.filter(username="newbie").exists()

    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    tab.goto(live_server.url + link.group(1))
    tab.get_by_role("button", name="Confirm").click()
    tab.wait_for_url(re.compile(r"/accounts/login/$"))

    tab.get_by_label("Login").fill("newbie")
    tab.get_by_label("Password:", exact=True).fill(PASSWORD)
    tab.get_by_role("button", name="Log in", exact=True).click()
    tab.wait_for_url(live_server.url + "/dashboard/")
    tab.get_by_role("button", name="Menu").click()
    assert tab.get_by_role("button", name="Log out").is_visible()
    assert tab.problems == []
