"""The payouts page lets its "Set up payouts" form lead to Stripe's onboarding origin.

Chromium applies the page's CSP `form-action` to the redirect our onboarding view answers with;
with `'self'` alone the button did nothing in a real browser (tests/e2e/test_journey.py found it).
"""

import pytest
from django.urls import reverse

from tests.factories import make_user


def _form_action(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(part for part in policy.split(";") if part.strip().startswith("form-action"))


@pytest.mark.django_db
def test_the_payouts_page_allows_the_connect_origin_and_nothing_else(client, settings):
    settings.STRIPE_CONNECT_API_BASE = "http://127.0.0.1:8425"
    client.force_login(make_user())
    directive = _form_action(client.get(reverse("payments:payouts")))
    assert directive.split() == ["form-action", "'self'", "http://127.0.0.1:8425"]


@pytest.mark.django_db
def test_in_production_it_is_stripes_hosted_onboarding(client, settings):
    settings.STRIPE_CONNECT_API_BASE = ""
    client.force_login(make_user())
    directive = _form_action(client.get(reverse("payments:payouts")))
    assert directive.split() == ["form-action", "'self'", "https://connect.stripe.com"]


@pytest.mark.django_db
def test_other_pages_keep_self_only(client):
    client.force_login(make_user())
    directive = _form_action(client.get(reverse("payments:wallet")))
    assert directive.split() == ["form-action", "'self'"]
