"""Open redirects: no `next=` and no OAuth callback sends the browser to another site.

Every URL of the site is requested with a hostile `next` (GET, as a visitor and as a signed-in
user), and the views that read `next` from a form are posted every trick in HOSTILE. A redirect
may only go to this site, or to X's sign-in page when the visitor asked to sign in with X.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from flattr.models import Flattr, Subscription
from flattr.selectors import month_start
from tests.factories import PASSWORD, fund_user, make_thing, make_user
from tests.security.routes import site_routes
from tests.twitter_claims.conftest import local, oauth_start

pytestmark = pytest.mark.django_db

HOSTILE = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "\\/evil.example/",
    "https:evil.example",
    " //evil.example/",
    "\t//evil.example/",
    "/\t/evil.example/",
    "http://testserver@evil.example/",
    "https://evil.example\\@testserver/",
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "https://testserver.evil.example/",
]
SWEEP = HOSTILE[:3]  # the sweep over every URL tries fewer, to stay quick


def is_local(location: str) -> bool:
    """Return whether a browser following `location` stays on this site.

    Browsers drop tabs and newlines and read a backslash as a slash, so those are applied first.
    """
    cleaned = re.sub(r"[\t\r\n]", "", location).strip().replace("\\", "/")
    parts = urlsplit(cleaned)
    if parts.scheme and (parts.scheme not in {"http", "https"} or not parts.netloc):
        return False  # "https:evil.example" from an http page is evil.example to a browser
    if cleaned.startswith("//"):
        return False
    return parts.netloc in {"", "testserver"}


def leaves_site(response, *, allowed_hosts=()) -> str | None:
    """Return the Location if `response` redirects off the site (outside `allowed_hosts`)."""
    if response.status_code not in {301, 302, 303, 307, 308}:
        return None
    location = response["Location"]
    if is_local(location) or urlsplit(location).netloc in allowed_hosts:
        return None
    return location


def test_the_locality_check_itself_catches_each_hostile_target():
    assert not any(is_local(target) for target in HOSTILE)
    assert all(is_local(target) for target in ["/", "/dashboard/", "http://testserver/x", "?a=1"])


@pytest.mark.parametrize("signed_in", [False, True])
def test_no_url_of_the_site_redirects_off_it_through_next(signed_in):
    client = Client()
    user = make_user(is_staff=True, is_superuser=True)
    if signed_in:
        client.force_login(user)
    samples = {"username": user.username, "handle": "alice"}
    escaped = []
    for route in site_routes(samples):
        for target in SWEEP:
            query = dict.fromkeys(("next", "redirect_to", "return_to", "url"), target)
            response = client.get(route.path, query)
            if where := leaves_site(response):
                escaped.append(f"GET {route.path} with {target} -> {where}")
    assert escaped == []


@pytest.fixture
def donor_client():
    donor = fund_user(make_user())
    client = Client()
    client.force_login(donor)
    thing = make_thing(owner=donor)
    other = make_thing()
    flattr = Flattr.objects.create(donor=donor, thing=other, month=month_start())
    subscription = Subscription.objects.create(
        donor=donor, thing=other, months=3, first_month=month_start(), last_month=month_start()
    )
    return client, {
        "thing_hide": reverse("thing_hide", args=[thing.pk]),
        "flattr_remove": reverse("flattr_remove", args=[flattr.pk]),
        "subscription_cancel": reverse("subscription_cancel", args=[subscription.pk]),
        "set_language": reverse("set_language"),
        "account_logout": reverse("account_logout"),
    }


def test_the_forms_that_post_next_never_send_the_browser_off_the_site(donor_client, fake_x):
    client, forms = donor_client
    escaped = []
    for target in HOSTILE:
        for name, path in forms.items():
            response = client.post(path, {"next": target, "language": "de", "hidden": "1"})
            if where := leaves_site(response):
                escaped.append(f"{name} next={target!r} -> {where}")
        response = client.post(
            reverse("twitter_claims:flattr"), {"handle": "alice", "next": target}
        )
        if where := leaves_site(response):
            escaped.append(f"twitter flattr next={target!r} -> {where}")
    assert escaped == []


@pytest.mark.parametrize("target", HOSTILE)
@pytest.mark.parametrize("login", ["account_login", "flattr_confirm_login"])
def test_signing_in_with_a_hostile_next_lands_on_this_site(target, login):
    user = make_user()
    client = Client()
    page = client.get(reverse(login), {"next": target})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.content.decode()  # echoed only escaped
    response = client.post(
        reverse(login) + "?" + "next=" + target,
        {"login": user.username, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert is_local(response["Location"]), response["Location"]


def test_the_oauth_start_sends_only_to_x_with_our_own_callback(client, fake_x):
    authorize = oauth_start(client, next="https://evil.example/")
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    assert authorize.startswith(settings.X_AUTHORIZE_URL + "?")
    assert query["redirect_uri"] == settings.SITE_URL + reverse("twitter_claims:callback")


def test_a_forged_host_header_cannot_change_the_oauth_callback(fake_x):
    response = Client(HTTP_HOST="evil.example").post(
        reverse("twitter_claims:start"), {"purpose": "claim"}
    )
    assert response.status_code == 400  # DisallowedHost: not in ALLOWED_HOSTS


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_oauth_callback_ignores_a_hostile_next_and_stays_on_the_site(signed_in, fake_x):
    client = Client()
    if signed_in:
        client.force_login(make_user())
    callback = local(fake_x.authorize(oauth_start(client, next="https://evil.example/")))
    separator = "&" if "?" in callback else "?"
    response = client.get(callback + separator + "next=https://evil.example/&redirect_uri=//evil")
    assert response.status_code in {200, 302}
    assert leaves_site(response) is None
    if response.status_code == 302:
        assert client.get(response["Location"]).status_code in {200, 302}
