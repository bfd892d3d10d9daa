"""Buttons for accounts behave like buttons for things (issue #14), on the server side: the
confirmation window for an account alone, its once-a-month and refusal rules, account pages
that show a donor's flattr and pending flattrs honestly (never "Donors 0"), and a claim with
only pending flattrs that says what payday brings and when. The browser side is in
test_e2e_account_buttons.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils.formats import date_format

from flattr.models import Flattr
from flattr.selectors import donor_month
from payments.months import month_next, month_start
from payments.selectors import ledger_check
from tests.factories import make_user
from tests.twitter_claims.conftest import provider_round_trip
from tests.twitter_claims.journeys import donors_flattr, make_donor, payday_for
from twitter_claims import services
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db

CONFIRM = "/flattr/confirm/"
PAYDAY = date_format(month_next(month_start()), "DATE_FORMAT")
MONTH = date_format(month_start(), "F")


def donor_client(donor=None):
    donor = donor or make_donor(budget=1000, funds=5000)
    client = Client()
    client.force_login(donor)
    return client, donor


def submit_button(html: str) -> str | None:
    """Return the label of the confirmation form's button, or None if there is no form."""
    match = re.search(r'<button type="submit"[^>]*>([^<]*)</button>', html)
    return match.group(1).strip() if match else None


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ({"twitter": "bob"}, "@bob"),
        ({"platform": "twitter", "account": "@bob"}, "@bob"),
        ({"platform": "github", "account": "octocat"}, "@octocat"),
        ({"platform": "mastodon", "account": "@anna@one.example"}, "@anna@one.example"),
        ({"platform": "facebook", "account": "bakery.berlin"}, "bakery.berlin"),
    ],
)
def test_the_confirmation_window_flattrs_an_account_once_and_then_shows_it_flattred(
    fake_x, fake_github, fake_mastodon, fake_facebook, query, label
):
    client, donor = donor_client()
    first = client.get(CONFIRM, query)
    assert first.status_code == 200
    assert first["Cross-Origin-Opener-Policy"] == "unsafe-none"  # the button hears back
    assert submit_button(first.content.decode()) == f"✓ Flattr {label}"
    assert not Flattr.objects.exists()  # showing the window asks no platform, writes nothing

    # A double click: two POSTs, one flattr; the second says why it was refused.
    done = client.post(CONFIRM + "?" + first.wsgi_request.META["QUERY_STRING"])
    again = client.post(CONFIRM + "?" + first.wsgi_request.META["QUERY_STRING"])
    flattr = Flattr.objects.get(donor=donor)
    assert flattr.source == Flattr.Source.BUTTON
    assert flattr.thing.platform_account.label == label
    assert done.status_code == 302 and "done=1" in done["Location"]
    assert f"You already flattred this in {MONTH}" in again.content.decode()

    shown = client.get(done["Location"]).content.decode()
    assert f"Thank you! You flattred {label}." in shown
    assert 'data-kind="account"' in shown and 'data-count="1"' in shown
    # Opened again later: the flattred state, not a second "Flattr @bob".
    later = client.get(CONFIRM, query).content.decode()
    assert f"You already flattred {label} in {MONTH}." in later
    assert submit_button(later) is None
    assert Flattr.objects.count() == 1
    assert ledger_check() == []


def test_the_window_for_an_account_keeps_the_refusal_rules_of_things(fake_x, fake_github):
    # Logged out: log in first, coming back to the same window; nothing is written.
    response = Client().post(CONFIRM + "?twitter=bob")
    assert response.status_code == 302 and "/flattr/confirm/login/" in response["Location"]
    assert "twitter%3Dbob" in response["Location"]
    # No budget: the same message as for a thing.
    client, _donor = donor_client(make_donor(budget=None))
    refused = client.post(CONFIRM + "?platform=github&account=octocat").content.decode()
    assert "set a monthly budget and add funds" in refused
    # An account the platform does not know: a plain message.
    client, _donor = donor_client()
    unknown = client.post(CONFIRM + "?platform=github&account=nobody-here").content.decode()
    assert 'role="alert"' in unknown
    assert not Flattr.objects.exists()
    # A claimed account's owner cannot flattr it.
    donors_flattr("alice", count=1)
    owner = make_user()
    services.pool_claim(account_id=PlatformAccount.objects.get(user_id="42").pk, user=owner)
    client, _donor = donor_client(owner)
    page = client.get(CONFIRM + "?twitter=alice").content.decode()
    assert "This is your own account" in page and submit_button(page) is None
    assert client.post(CONFIRM + "?twitter=alice").status_code == 200
    assert Flattr.objects.filter(donor=owner).count() == 0
    assert ledger_check() == []


def test_an_opted_out_account_is_refused_in_the_window(fake_x):
    donors_flattr("bob", count=1)
    bob = PlatformAccount.objects.get(handle="bob")
    from twitter_claims.x_gateway import XUser

    services.account_opt_out(x_user=XUser(id=bob.user_id, username="bob", name=""), choice="all")
    client, donor = donor_client()
    page = client.get(CONFIRM + "?twitter=bob").content.decode()
    assert "This account does not accept flattrs at the moment." in page
    assert submit_button(page) is None
    client.post(CONFIRM + "?twitter=bob")
    assert not Flattr.objects.filter(donor=donor).exists()


def test_a_thing_button_with_an_account_offers_that_accounts_own_window(client, fake_x):
    from tests.factories import make_thing

    thing = make_thing(owner=make_user(username="pat"))
    html = client.get(CONFIRM, {"thing": thing.pk, "twitter": "bob"}).content.decode()
    assert 'href="/flattr/confirm/?twitter=bob"' in html
    assert "Also flattr @bob on Twitter/X" in html


def test_an_account_button_carries_no_thing_url_and_a_thing_button_its_id(client):
    from tests.factories import make_thing

    html = client.get("/button/view/", {"platform": "github", "account": "octocat"})
    body = html.content.decode()
    assert 'href="/flattr/confirm/?platform=github&amp;account=octocat"' in body
    assert 'data-url="" data-uid="" data-thing=""' in body
    thing = make_thing(owner=make_user(username="pat"), url="https://pat.example.org/x")
    body = client.get("/button/view/", {"uid": "pat", "url": thing.url}).content.decode()
    assert f'data-thing="{thing.pk}"' in body


def test_the_x_account_page_shows_pending_flattrs_not_donors_0(client, fake_x):
    donors_flattr("bob", count=1)
    page = client.get("/twitter/bob/").content.decode()
    assert "Donors" not in page
    assert "Pending flattrs" in page
    assert f"1 pending flattr: it is split on payday, {PAYDAY}" in page
    payday_for(dt.date(2025, 3, 1))  # that flattr closes (as if made in March) and splits
    page = client.get("/twitter/bob/").content.decode()
    assert re.search(r"Donors</p>\s*<p class=\"stat count\">1</p>", page)
    assert "Pending flattrs" not in page
    assert ledger_check() == []


def test_other_platforms_account_pages_show_pending_flattrs_not_donors_0(client, fake_github):
    from twitter_claims.providers import provider_find
    from twitter_claims.services.accounts import account_flattr_add

    for _ in range(2):
        account_flattr_add(
            donor=make_donor(budget=1000, funds=5000), provider=provider_find("github"), raw="hubot"
        )
    page = client.get("/github/hubot/").content.decode()
    assert "Donors" not in page
    assert f"2 pending flattrs: they are split on payday, {PAYDAY}" in page


def test_a_donor_who_flattred_the_account_sees_it_on_the_page_not_a_second_offer(
    fake_x, fake_github
):
    client, donor = donor_client()
    services.twitter_flattr_add(donor=donor, handle="bob")
    page = client.get("/twitter/bob/").content.decode()
    assert f"You flattred @bob in {MONTH}. It is split on payday, {PAYDAY}" in page
    assert "Flattr @bob</button>" not in page and 'name="handle"' not in page
    other, _ = donor_client()
    assert "Flattr @bob</button>" in other.get("/twitter/bob/").content.decode()

    client.post("/github/-/flattr/", {"account": "octocat"})
    page = client.get("/github/octocat/").content.decode()
    assert f"You flattred @octocat in {MONTH}." in page
    assert "Flattr @octocat</button>" not in page


def test_a_claim_with_only_pending_flattrs_says_what_payday_brings_and_when(fake_x, fake_github):
    from tests.twitter_claims.conftest import oauth_round_trip

    donors = donors_flattr("alice", count=2)
    # The second donor flattrs something else too, so their flattr of @alice is worth half.
    services.twitter_flattr_add(donor=donors[1], handle="bob")
    expected = sum(
        row.worth_cents
        for donor in donors
        for row in donor_month(donor).flattrs
        if row.flattr.thing.title == "@alice"
    )
    assert expected > 0
    client = Client()
    client.force_login(make_user())
    oauth_round_trip(client, fake_x, as_user="42")
    page = client.get("/twitter/-/welcome/").content.decode()
    assert "Nothing was held for you yet" not in page
    assert "your first flattrs are waiting for payday" in page
    assert "2 flattrs of this month are not split yet" in page
    assert f"on payday, {PAYDAY}" in page
    amount = f"€{expected // 100}.{expected % 100:02d}"
    assert (
        f'If payday ran now, that would be <strong class="money highlight">{amount}</strong>'
        in page
    )
    assert ledger_check() == []

    # Other platforms' welcome says the same.
    gh_donor = make_donor(budget=1000, funds=5000)
    from twitter_claims.providers import provider_find
    from twitter_claims.services.accounts import account_flattr_add

    account_flattr_add(donor=gh_donor, provider=provider_find("github"), raw="octocat")
    client = Client()
    client.force_login(make_user())
    provider_round_trip(client, fake_github, "github", as_user="583231")
    page = client.get("/github/-/welcome/").content.decode()
    worth = donor_month(gh_donor).flattrs[0].worth_cents
    assert f"€{worth // 100}.{worth % 100:02d}</strong> after the fee" in page
    assert (
        "1 flattr of this month is not split yet: it comes straight to your earnings on "
        f"payday, {PAYDAY}" in page
    )


def test_the_estimate_is_a_floor_past_its_donor_limit(fake_x, monkeypatch):
    from flattr import selectors as flattr_selectors

    monkeypatch.setattr(flattr_selectors, "PENDING_ESTIMATE_DONORS_MAX", 1)
    donors_flattr("alice", count=2)
    account = PlatformAccount.objects.get(user_id="42")
    worth = flattr_selectors.thing_pending_worth(account.thing_id)
    assert (worth.flattrs, worth.complete) == (2, False)
    one = donor_month(Flattr.objects.order_by("pk").first().donor).flattrs[0].worth_cents
    assert worth.cents == one


def test_the_connected_accounts_pages_say_what_payday_brings_a_claim_with_pending_flattrs(
    fake_x, fake_github
):
    from tests.twitter_claims.conftest import oauth_round_trip

    donor = donors_flattr("alice", count=1)[0]
    worth = donor_month(donor).flattrs[0].worth_cents
    owner = make_user()
    client = Client()
    client.force_login(owner)
    oauth_round_trip(client, fake_x, as_user="42")
    amount = f"€{worth // 100}.{worth % 100:02d}"
    expected = f"1 flattr is pending: payday, {PAYDAY}, brings about {amount}"
    assert expected in client.get("/twitter/-/settings/").content.decode()
    assert expected in client.get("/platforms/connected/").content.decode()
