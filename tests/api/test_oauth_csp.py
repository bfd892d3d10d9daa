"""The consent page lets "Allow" lead to the application's registered callback, and only there.

Chromium applies the page's CSP `form-action` to the redirect the consent answers with; with
`'self'` alone "Allow" did nothing in a real browser (tests/e2e/test_journey.py found it).
"""

import pytest
from django.test import Client

from flattr.api.services import application_create
from tests.factories import make_user

CALLBACK = "https://podcatcher.example/callback"


def _form_action(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    return next(p for p in policy.split(";") if p.strip().startswith("form-action")).split()


@pytest.mark.django_db
def test_the_consent_page_allows_the_registered_callbacks_origin():
    created = application_create(user=make_user(), name="Podcatcher", callback_url=CALLBACK)
    browser = Client()
    browser.force_login(make_user())
    page = browser.get(
        "/oauth/authorize",
        {"client_id": created.application.client_id, "response_type": "code", "scope": "flattr"},
    )
    assert page.status_code == 200
    assert _form_action(page) == ["form-action", "'self'", "https://podcatcher.example"]


@pytest.mark.django_db
def test_an_unregistered_redirect_uri_adds_nothing():
    created = application_create(user=make_user(), name="Podcatcher", callback_url=CALLBACK)
    browser = Client()
    browser.force_login(make_user())
    page = browser.get(
        "/oauth/authorize",
        {
            "client_id": created.application.client_id,
            "response_type": "code",
            "redirect_uri": "https://evil.example/steal",
        },
    )
    assert "https://evil.example" not in page.headers.get("Content-Security-Policy", "")
