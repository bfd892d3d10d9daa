"""The whole journey in real Chromium, one test, every outside service real or a loopback fake.

A publisher signs up, submits a post and embeds its button on a blog served from another
origin; a donor signs up, deposits through localstripe (its signed webhook reaches the live
server), sets a budget and flattrs the post from that blog, an X account and a GitHub account;
payday runs in a real Celery worker from beat's task; the publisher sees the income, onboards
on the fake Stripe Connect, requests a payout an admin approves in the admin, and the fake's
payout events settle it; the X owner claims through the fake X; a third-party app reads it all
through the REST API with an OAuth token. Each step leaves a screenshot under
test-artifacts/journey/ (git ignores it) and asserts the real outcome, to the cent.

Only time is simulated: the month's flattrs are moved into last month before beat's task runs,
since payday only splits a month that has ended.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import mail
from django.db import connections

from accounts.models import User
from flattr.api.services import application_create
from flattr.celery import app as celery_app
from flattr.models import Flattr, Thing
from payments.models import Deposit, LedgerAccount, Payday, Payout, PayoutAccount, StripeEvent
from payments.months import month_previous
from payments.selectors import balances_for_user, budget_get, ledger_check
from tests.browser import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_button_embed import blog  # noqa: F401  (a fixture: the other origin)
from tests.factories import PASSWORD
from tests.payments.conftest import (  # noqa: F401  (fixtures)
    _fake_connect_server,
    fake_connect,
    localstripe_url,
    stripe_local,
    stripe_webhooks_to,
    wait_for,
)
from tests.payments.test_payday_worker import worker  # noqa: F401  (a fixture: real Celery)
from tests.twitter_claims.conftest import (  # noqa: F401  (fixtures)
    _fake_github_server,
    _fake_x_server,
    fake_github,
    fake_x,
)
from tests.twitter_claims.journeys import month_close
from twitter_claims.models import PlatformAccount

pytestmark = [
    *BROWSER_MARKS,
    pytest.mark.redis,
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

SHOTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "journey"
TIMEOUT_MS = 45_000  # a crowded machine: generous, the steps are many
WORKER_SECONDS = 120
BUDGET_CENTS = 3000  # €30: three flattrs, 10 % fee, €9.00 each
SHARE_CENTS = 900
PAYOUT_FEE_CENTS = 25
BLOG_POST = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Pat's blog</title></head>
<body>
<h1>On bees</h1>
<p>Some words about bees.</p>
{snippet}
</body></html>
"""


@pytest.fixture
def stage(live_server, settings, fake_x, fake_github, fake_connect, stripe_webhooks_to):  # noqa: F811
    """The live site with every fake pointed at it, and the payout rules of this story."""
    settings.SITE_URL = live_server.url
    fake_x.fake.redirect_uris.add(live_server.url + "/twitter/-/callback/")
    stripe_webhooks_to(live_server.url + "/payments/stripe/webhook/")
    settings.NEW_RECIPIENT_HOLD_DAYS = 0
    settings.PAYOUT_MINIMUM_CENTS = 500
    settings.PAYOUT_FEE_FIXED_CENTS = PAYOUT_FEE_CENTS
    settings.PAYOUT_FEE_BPS = 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    return live_server.url


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        # Where every window stood at the end (on a failure: where it stopped).
        pages = [page for context in browser.contexts for page in context.pages]
        for number, page in enumerate(pages, 1):
            page.screenshot(path=str(SHOTS / f"end-{number}.png"), full_page=True)
        browser.close()
        # ORM calls made while Playwright's loop ran got connections of their own: close them.
        connections.close_all()


class Shots:
    """Numbered screenshots, one per step, kept as the test's artifact."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, page, name: str) -> None:
        self.count += 1
        page.screenshot(path=str(SHOTS / f"{self.count:02d}-{name}.png"), full_page=True)


def _tab(browser):
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def _sign_up(page, site: str, *, username: str, email: str) -> User:
    """Sign up, follow the verification mail, log in; return the new user."""
    page.goto(site + "/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    body = [m for m in mail.outbox if m.to == [email]][-1].body
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", body).group(1)
    page.goto(site + link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    page.get_by_label("Login").fill(username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(site + "/dashboard/")
    return User.objects.get(username=username)


def _payday_in_worker(queue: str, process, month) -> Payday:
    celery_app.send_task("payments.tasks.payday_for_last_month", queue=queue)
    deadline = time.monotonic() + WORKER_SECONDS
    while time.monotonic() < deadline:
        payday = Payday.objects.filter(month=month, stage=Payday.Stage.DONE).first()
        if payday:
            return payday
        if process.poll() is not None:
            break
        time.sleep(0.25)
    process.terminate()
    output = process.communicate(timeout=20)[0].decode(errors="replace")
    pytest.fail(f"no finished payday within {WORKER_SECONDS}s; the worker said:\n{output[-3000:]}")


def test_the_whole_journey(stage, chromium, blog, worker, fake_connect, fake_x, client):  # noqa: F811
    from playwright.sync_api import expect

    site, shot = stage, Shots()
    queue, process = worker

    # 1. The publisher signs up and submits a post.
    pub = _tab(chromium)
    pat = _sign_up(pub, site, username="pat", email="pat@example.org")
    shot(pub, "publisher-signed-up")
    pub.goto(site + "/things/submit/")
    pub.get_by_label("Address (URL)").fill("https://pat.example.org/on-bees")
    pub.get_by_label("Title").fill("On bees")
    pub.get_by_label("Description").fill("Some words about bees.")
    pub.locator("main form button[type=submit]").click()
    pub.wait_for_url(re.compile(r"/thing/\d+/embed/$"))
    thing = Thing.objects.get(owner=pat)
    assert (thing.url, thing.title) == ("https://pat.example.org/on-bees", "On bees")

    # 2. …copies the snippet from the embed page onto a blog on another origin.
    snippet = pub.locator("#snippet-large").input_value()
    assert f"/thing/{thing.pk}/" in snippet and "/js/load.js" in snippet
    shot(pub, "embed-page")
    blog_url = blog(BLOG_POST.format(snippet=snippet))
    assert urlsplit(blog_url).port != urlsplit(site).port

    # 3. The donor signs up and deposits €50 through localstripe.
    don = _tab(chromium)
    dana = _sign_up(don, site, username="dana", email="dana@example.org")
    don.goto(site + "/payments/add-funds/")
    don.get_by_label("Another amount in euros").fill("50")
    don.get_by_role("button", name="Continue").click()
    don.get_by_label(re.compile("Visa that pays")).check()
    shot(don, "deposit-confirm")
    don.get_by_role("button", name="Pay €50.00").click()
    don.wait_for_url(re.compile(r"/payments/deposits/[0-9a-f-]{36}/$"))
    expect(don.get_by_text("was added to your funds")).to_be_visible()
    deposit = Deposit.objects.get(user=dana)
    assert (deposit.status, deposit.amount) == (Deposit.Status.SUCCEEDED, 5000)
    assert StripeEvent.objects.get(deposit=deposit, type="payment_intent.succeeded").outcome == (
        StripeEvent.Outcome.APPLIED
    )
    assert balances_for_user(dana)["funds"] == 5000
    shot(don, "deposit-credited")

    # 4. …sets a monthly budget of €30.
    don.goto(site + "/payments/budget/")
    don.get_by_label("Another monthly budget in euros").fill("30")
    don.get_by_role("button", name="Save budget").click()
    don.wait_for_load_state()
    assert budget_get(dana).monthly_cents == BUDGET_CENTS
    shot(don, "budget-set")

    # 5. …flattrs the post from the blog, through the confirmation window on our origin.
    don.goto(blog_url)
    button = don.frame_locator("iframe.FlattrButton")
    expect(button.locator(".fb-count")).to_have_text("0")
    with don.expect_popup() as popup_info:
        button.locator(".fb-action").click()
    popup = popup_info.value
    popup.set_default_timeout(TIMEOUT_MS)
    expect(popup.get_by_role("heading", name="On bees")).to_be_visible()
    shot(popup, "flattr-confirm-window")
    with popup.expect_event("close", timeout=TIMEOUT_MS):
        popup.get_by_role("button", name="Flattr this").click()
    expect(button.locator(".fb-count")).to_have_text("1")
    shot(don, "flattred-on-the-blog")
    assert Flattr.objects.filter(donor=dana, thing=thing).count() == 1

    # 6. …flattrs @alice on X and octocat on GitHub from the dashboard.
    don.goto(site + "/dashboard/")
    don.get_by_label("Flattr a Twitter/X account").fill("@alice")
    don.locator("form[action='/twitter/-/flattr/'] button[type=submit]").click()
    don.wait_for_load_state()
    don.goto(site + "/dashboard/")
    don.locator("select[name=provider]").select_option("github")
    don.get_by_label("Flattr an account on another platform").fill("octocat")
    don.locator("form[action='/platforms/flattr/'] button[type=submit]").click()
    don.wait_for_load_state()
    shot(don, "flattred-x-and-github")
    assert Flattr.objects.filter(donor=dana).count() == 3

    # 7. The month ends; beat's task runs payday in a real Celery worker.
    last_month = month_previous(Flattr.objects.get(thing=thing).month)
    month_close(last_month)
    payday = _payday_in_worker(queue, process, last_month)
    assert (payday.donors, payday.shares, payday.total_cents, payday.fees_cents) == (
        1,
        3,
        3 * SHARE_CENTS,
        BUDGET_CENTS - 3 * SHARE_CENTS,
    )
    assert balances_for_user(dana)["funds"] == 5000 - BUDGET_CENTS
    alice_pool = PlatformAccount.objects.get(provider="twitter", user_id="42").pool
    assert alice_pool.balance == SHARE_CENTS
    github = PlatformAccount.objects.get(provider="github", handle__iexact="octocat")
    assert github.pool.balance == SHARE_CENTS

    # 8. The publisher sees the income.
    pub.goto(site + "/payments/income/")
    expect(pub.locator("main")).to_contain_text("€9.00")
    shot(pub, "publisher-income")
    assert balances_for_user(pat)["earnings"] == SHARE_CENTS

    # 9. …onboards on the fake Stripe Connect and requests everything.
    pub.goto(site + "/payments/payouts/")
    pub.get_by_role("button", name="Set up payouts").click()
    pub.wait_for_url(fake_connect.base + "/connect/onboarding/**")
    shot(pub, "fake-connect-onboarding")
    pub.get_by_label("Name").fill("Pat Publisher")
    pub.get_by_label("IBAN").fill("DE89370400440532013000")
    pub.get_by_role("button", name="Submit").click()
    pub.wait_for_url(re.compile(re.escape(site) + r"/payments/payouts/"))
    expect(pub.locator("main")).to_contain_text("Your payout details are complete.")
    assert PayoutAccount.objects.get(user=pat).status == PayoutAccount.Status.READY
    pub.goto(site + "/payments/payouts/")
    pub.get_by_role("button", name="Everything (€9.00)").click()
    expect(pub.locator("main")).to_contain_text("€8.75")
    shot(pub, "payout-review")
    pub.get_by_role("button", name="Pay out €9.00").click()
    expect(pub.locator("main")).to_contain_text("an admin approves it soon")
    payout = Payout.objects.get(user=pat)
    assert (payout.status, payout.amount, payout.fee) == ("requested", SHARE_CENTS, 25)

    # 10. An admin approves it in the admin; the fake pays it and its event settles it.
    User.objects.create_superuser("root", "root@example.org", PASSWORD)
    adm = _tab(chromium)
    adm.goto(site + "/admin/login/?next=/admin/payments/payout/")
    adm.get_by_label("Username").fill("root")
    adm.get_by_label("Password").fill(PASSWORD)
    adm.locator("input[type=submit], button[type=submit]").first.click()
    adm.wait_for_url(re.compile(r"/admin/payments/payout/"))
    adm.locator(f"input[name=_selected_action][value='{payout.pk}']").check()
    adm.locator("select[name=action]").select_option("payouts_approve")
    shot(adm, "admin-approves")
    adm.locator("button[name=index], input[name=index]").first.click()
    adm.wait_for_load_state()
    payout.refresh_from_db()
    assert payout.status == Payout.Status.SENT and payout.decided_by.username == "root"
    state = fake_connect.state()
    assert [t["amount"] for t in state["transfers"]] == [SHARE_CENTS - PAYOUT_FEE_CENTS]
    fake_connect.post(f"payouts/{payout.stripe_payout_id}/paid")
    assert fake_connect.deliver(client)[-1] == "applied"
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert balances_for_user(pat)["earnings"] == 0
    assert LedgerAccount.objects.get(kind=LedgerAccount.Kind.PAYOUTS).balance == 0
    pub.goto(site + "/payments/payouts/")
    shot(pub, "payout-paid")

    # 11. The X owner claims @alice's pool through the fake X.
    ali = _tab(chromium)
    ali.goto(f"{site}/twitter/alice/")
    expect(ali.locator("main")).to_contain_text("€9.00")
    ali.get_by_role("button", name="Sign in with Twitter to claim").click()
    ali.get_by_role("link", name="Sign in as @alice").click()
    ali.wait_for_url(f"{site}/twitter/-/finish/")
    ali.get_by_label("Email").fill("alice@example.org")
    ali.get_by_role("button", name="Create my account and claim").click()
    ali.wait_for_url(f"{site}/twitter/-/welcome/")
    expect(ali.locator("main")).to_contain_text("Welcome, @alice!")
    shot(ali, "x-owner-claimed")
    alice = User.objects.get(username="alice")
    assert balances_for_user(alice)["earnings"] == SHARE_CENTS
    alice_pool.refresh_from_db()
    assert alice_pool.balance == 0

    # 12. A third-party app gets a token from the donor's consent and reads it all.
    created = application_create(
        user=pat, name="Bee reader", callback_url=blog_url.rsplit("/", 1)[0] + "/callback"
    )
    client_id, secret = created.application.client_id, created.client_secret
    don.goto(
        f"{site}/oauth/authorize?response_type=code&client_id={client_id}"
        f"&scope=flattr+thing+extendedread&state=bees"
    )
    expect(don.locator("main")).to_contain_text("Bee reader")
    shot(don, "oauth-consent")
    with don.expect_response(lambda r: "/callback" in r.url):
        don.get_by_role("button", name="Allow").click()
    code = parse_qs(urlsplit(don.url).query)["code"][0]
    token = requests.post(
        site + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": created.application.redirect_uris.split()[0],
        },
        auth=(client_id, secret),
        timeout=30,
    ).json()["access_token"]
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    me = api.get(site + "/rest/v2/user", timeout=30).json()
    assert me["username"] == "dana"
    flattrs = api.get(site + "/rest/v2/user/flattrs", timeout=30).json()
    assert len(flattrs) == 3 and thing.pk in [f["thing"]["id"] for f in flattrs]
    read = api.get(f"{site}/rest/v2/things/{thing.pk}", timeout=30).json()
    assert (read["id"], read["flattrs"], read["owner"]["username"]) == (thing.pk, 1, "pat")
    assert api.get(site + "/rest/v2/users/pat", timeout=30).json()["username"] == "pat"
    things = api.get(site + "/rest/v2/users/pat/things", timeout=30).json()
    assert [t["id"] for t in things] == [thing.pk]

    # The books balance after all of it.
    assert ledger_check() == []
    assert shot.count >= 12
