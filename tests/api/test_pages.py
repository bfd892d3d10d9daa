"""The developer page, API access settings and the docs page."""

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Application

from tests.api.conftest import ApiClient
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_register_an_application_secret_shown_once():
    user = make_user()
    browser = Client()
    browser.force_login(user)
    page = browser.post(
        "/developers/apps/", {"name": "My app", "callback_url": "https://app.example/cb"}
    )
    app = Application.objects.get(user=user)
    secret_shown = page.content.decode()
    assert app.client_id in secret_shown and "shown only this once" in secret_shown
    assert app.client_secret not in secret_shown  # only the hash is stored
    assert "shown only this once" not in browser.get("/developers/apps/").content.decode()
    bad = browser.post("/developers/apps/", {"name": "x", "callback_url": "javascript:alert(1)"})
    assert bad.status_code == 400 and Application.objects.count() == 1


def test_personal_token_with_scopes_and_revoke():
    user = make_user()
    browser = Client()
    browser.force_login(user)
    page = browser.post("/accounts/api/", {"action": "create_token", "scopes": ["flattr", "email"]})
    token = AccessToken.objects.get(user=user)
    assert token.scope == "flattr email"
    value = page.content.decode().split("<p><code>")[1].split("</code>")[0]
    assert ApiClient(value).get("/rest/v2/user").json()["email"] == user.email
    browser.post("/accounts/api/", {"action": "revoke_token", "token": token.pk})
    assert ApiClient(value).get("/rest/v2/user").status_code == 401


def test_docs_page_and_openapi(api):
    docs = Client().get("/developers/api/")
    assert docs.status_code == 200 and "curl" in docs.content.decode()
    spec = Client().get("/developers/api/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/things/{thing_id}" in spec["paths"]
