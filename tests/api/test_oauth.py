"""The OAuth2 provider, end to end against a live server with requests-oauthlib as the client."""

import base64
import json
import re
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
import requests
from django.test import Client
from requests_oauthlib import OAuth2Session

from flattr.api.services import application_create
from tests.factories import PASSWORD, make_user

CALLBACK = "http://127.0.0.1:8549/callback"


@pytest.fixture
def app_and_user(db):
    developer = make_user(username="dev")
    created = application_create(user=developer, name="Podcatcher", callback_url=CALLBACK)
    return created, make_user(username="listener")


def _consent(browser: requests.Session, url: str) -> str:
    """Log in on the live site's authorize page and press Allow; return the callback URL."""
    page = browser.get(url)
    assert page.status_code == 200
    if "/accounts/login/" in page.url:
        csrf = browser.cookies["csrftoken"]
        login = browser.post(
            page.url,
            data={"login": "listener", "password": PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Referer": page.url},
        )
        page = login
    assert "Podcatcher" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields["allow"] = "Authorize"
    answer = browser.post(
        page.url, data=fields, headers={"Referer": page.url}, allow_redirects=False
    )
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


@pytest.mark.django_db(transaction=True)
def test_round_trip_with_requests_oauthlib(live_server, app_and_user, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    created, _user = app_and_user
    client_id, secret = created.application.client_id, created.client_secret
    session = OAuth2Session(client_id, redirect_uri=CALLBACK, scope=["flattr", "thing", "email"])
    url, state = session.authorization_url(live_server.url + "/oauth/authorize")
    callback = _consent(requests.Session(), url)
    assert callback.startswith(CALLBACK) and f"state={state}" in callback
    token = session.fetch_token(
        live_server.url + "/oauth/token",
        authorization_response=callback,
        client_secret=secret,
        include_client_id=False,  # Basic auth
    )
    assert token["token_type"].lower() == "bearer"
    assert set(token["scope"] if isinstance(token["scope"], list) else token["scope"].split()) == {
        "flattr",
        "thing",
        "email",
    }
    me = session.get(live_server.url + "/rest/v2/user")
    assert me.status_code == 200 and me.json()["username"] == "listener"
    assert me.json()["email"] == "listener@example.org"


def _code(client: Client, application, scope: str) -> str:
    answer = client.post(
        "/oauth/authorize",
        {
            "client_id": application.client_id,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": scope,
            "allow": "Authorize",
        },
    )
    assert answer.status_code == 302, answer.content[:300]
    return parse_qs(urlsplit(answer["Location"]).query)["code"][0]


@pytest.mark.django_db
def test_token_by_json_body_with_credentials_in_body_and_comma_scopes(app_and_user):
    created, user = app_and_user
    browser = Client()
    browser.force_login(user)
    consent = browser.get(
        "/oauth/authorize",
        {
            "client_id": created.application.client_id,
            "response_type": "code",
            "scope": "flattr,thing",
        },
    )
    assert consent.status_code == 200 and "Podcatcher" in consent.content.decode()
    code = _code(browser, created.application, "flattr thing")
    answer = Client().post(
        "/oauth/token",
        json.dumps(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "client_id": created.application.client_id,
                "client_secret": created.client_secret,
            }
        ),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer["Cache-Control"] == "no-store" and answer["Pragma"] == "no-cache"
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "scope"}
    assert body["token_type"] == "bearer" and body["scope"] == "flattr thing"


@pytest.mark.django_db
def test_form_token_with_basic_auth_and_wrong_secret(app_and_user):
    created, user = app_and_user
    browser = Client()
    browser.force_login(user)
    code = _code(browser, created.application, "flattr")
    basic = base64.b64encode(f"{created.application.client_id}:wrong".encode()).decode()
    refused = Client().post(
        "/oauth/token/",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert "error_description" in refused.json()
    basic = base64.b64encode(
        f"{created.application.client_id}:{created.client_secret}".encode()
    ).decode()
    answer = Client().post(
        "/oauth/token/",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 200 and answer.json()["scope"] == "flattr"
    token = answer.json()["access_token"]
    me = Client().get("/rest/v2/user", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "listener" and "email" not in me


@pytest.mark.django_db
def test_an_app_scheme_callback_like_podcast_apps_use():
    developer, user = make_user(), make_user()
    created = application_create(
        user=developer, name="Podcatcher", callback_url="de.example.podcatcher://flattr-auth"
    )
    browser = Client()
    browser.force_login(user)
    answer = browser.post(
        "/oauth/authorize/",
        {
            "client_id": created.application.client_id,
            "redirect_uri": "de.example.podcatcher://flattr-auth",
            "response_type": "code",
            "scope": "flattr",
            "allow": "Authorize",
        },
    )
    assert answer.status_code == 302
    assert answer["Location"].startswith("de.example.podcatcher://flattr-auth?code=")


WP_CALLBACK = "https://blog.example.org/wp-admin/admin.php?page=flattr/flattr.php"


@pytest.mark.django_db
def test_wordpress_plugins_encoded_callback_and_clients_without_redirect_uri():
    """php-flattr-client (the WordPress plugin) sends its callback urlencoded once more than
    needed; Youtify's client sends none at all. Both got tokens from Flattr."""
    developer, user = make_user(), make_user()
    created = application_create(user=developer, name="WordPress", callback_url=WP_CALLBACK)
    browser = Client()
    browser.force_login(user)
    basic = base64.b64encode(
        f"{created.application.client_id}:{created.client_secret}".encode()
    ).decode()
    for sent in (quote(WP_CALLBACK, safe=""), None):
        consent = browser.post(
            "/oauth/authorize",
            {
                "client_id": created.application.client_id,
                "redirect_uri": WP_CALLBACK,
                "response_type": "code",
                "scope": "thing flattr",
                "allow": "Authorize",
            },
        )
        code = parse_qs(urlsplit(consent["Location"]).query)["code"][0]
        body = {"code": code, "grant_type": "authorization_code"}
        if sent:
            body["redirect_uri"] = sent
        answer = Client().post(
            "/oauth/token",
            urlencode(body),
            content_type="application/x-www-form-urlencoded",
            headers={"Authorization": f"Basic {basic}"},
        )
        assert answer.status_code == 200, answer.content
        assert set(answer.json()["scope"].split()) == {"flattr", "thing"}
