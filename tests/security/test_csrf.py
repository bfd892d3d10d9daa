"""CSRF: every URL of the site refuses a POST without a CSRF token, except the few that must
not ask for one, each with the reason.

The URLs come from the URLconf (tests/security/routes.py), so a view added later is covered
without touching this file; a view that turns CSRF off must be added to EXEMPT with its reason.
"""

from __future__ import annotations

import pytest
from django.http import HttpResponseForbidden
from django.test import Client

from tests.factories import make_user
from tests.security.routes import site_routes

pytestmark = pytest.mark.django_db

# View name -> why it takes POSTs without a CSRF token.
EXEMPT = {
    "payments:stripe_webhook": (
        "Stripe calls it server to server, with no browser session or cookie to ride on; every "
        "request must carry a valid Stripe-Signature (HMAC of the body with the endpoint secret), "
        "which is checked before anything is read, and that replaces the CSRF token."
    ),
}
REFUSED = "refused by the CSRF check: "


def csrf_refused(request, reason: str = "") -> HttpResponseForbidden:
    """Stands in for the CSRF failure view, so a 403 is known to come from the CSRF check."""
    return HttpResponseForbidden(REFUSED + reason)


@pytest.fixture(autouse=True)
def _marked_failure_view(settings):
    settings.CSRF_FAILURE_VIEW = "tests.security.test_csrf.csrf_refused"


def protected_routes():
    routes = [route for route in site_routes() if route.name not in EXEMPT]
    # The walk reaches every app's pages (a broken walk must not pass by testing nothing).
    names = {route.name for route in routes}
    assert {"thing_flattr", "payments:budget", "twitter_claims:start", "admin:index"} <= names
    return routes


def test_the_exempt_views_are_exactly_those_listed_with_a_reason():
    exempt = {route.name for route in site_routes() if getattr(route.view, "csrf_exempt", False)}
    assert exempt == set(EXEMPT)


def test_every_url_refuses_an_anonymous_post_without_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    accepted = []
    for route in protected_routes():
        response = client.post(route.path, {"next": "/", "handle": "alice", "amount": "5"})
        if response.status_code != 403 or REFUSED not in response.content.decode():
            accepted.append(f"{route.path} ({route.name}): {response.status_code}")
    assert accepted == [], "POST without a CSRF token was not refused by the CSRF check"


def test_a_signed_in_users_post_with_the_cookie_but_no_token_is_refused_everywhere():
    """The classic attack: the victim's browser sends its session and CSRF cookies along with a
    form another site made; only the token, which that site cannot read, is missing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(is_staff=True, is_superuser=True))
    client.get("/things/submit/")  # any page with a form sets the CSRF cookie
    assert client.cookies.get("csrftoken")
    accepted = []
    for route in protected_routes():
        response = client.post(route.path, {"next": "/"}, HTTP_REFERER="https://evil.example/")
        if response.status_code != 403 or REFUSED not in response.content.decode():
            accepted.append(f"{route.path} ({route.name}): {response.status_code}")
    assert accepted == []


def test_a_post_with_a_token_from_another_session_is_refused():
    victim, attacker = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    victim.force_login(make_user())
    attacker.get("/accounts/login/")
    victim.get("/things/submit/")
    stolen_elsewhere = attacker.cookies["csrftoken"].value  # the attacker's own, valid token

    response = victim.post("/things/submit/", {"csrfmiddlewaretoken": stolen_elsewhere})

    assert response.status_code == 403
    assert REFUSED in response.content.decode()


def test_the_stripe_webhook_refuses_a_post_without_a_valid_signature():
    response = Client(enforce_csrf_checks=True).post(
        "/payments/stripe/webhook/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 400
