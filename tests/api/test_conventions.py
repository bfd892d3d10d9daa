"""The leniencies and the error shape: slashes, bodies, JSONP, CORS, rate limits, never HTML."""

import pytest
from django.test import Client, override_settings

from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db
ERROR_KEYS = {"error", "error_description", "error_uri"}


@pytest.mark.parametrize(
    "path", ["/rest/v2/nothing", "/rest/v2", "/rest/v2/things/abc", "/rest/v2/users/a/b/c"]
)
def test_unknown_paths_are_json_404(api, path):
    answer = api.get(path)
    assert answer.status_code == 404 and answer["Content-Type"].startswith("application/json")
    assert set(answer.json()) >= ERROR_KEYS and answer["Access-Control-Allow-Origin"] == "*"


def test_405_and_no_token_401_and_bad_token(api, thing):
    wrong = api.delete("/rest/v2/categories")
    assert wrong.status_code == 405 and set(wrong.json()) >= ERROR_KEYS
    assert api.get("/rest/v2/user").json()["error"] == "unauthorized"
    bad = ApiClient("nonsense").get(f"/rest/v2/things/{thing.pk}")
    assert bad.status_code == 401 and bad.json()["error"] == "unauthorized"
    assert "X-RateLimit-Limit" in bad


def test_csrf_never_applies_and_no_html(thing):
    browser = Client(enforce_csrf_checks=True)
    answer = browser.post(f"/rest/v2/things/{thing.pk}/flattr")
    assert answer.status_code == 401 and answer.json()["error"] == "unauthorized"


def test_jsonp_cors_and_headers(api, thing):
    answer = api.get(f"/rest/v2/things/{thing.pk}?jsonp=handle.it")
    assert answer["Content-Type"].startswith("application/javascript")
    assert answer.content.decode().startswith("/**/handle.it({")
    hostile = api.get(f"/rest/v2/things/{thing.pk}?jsonp=alert(1)//")
    assert hostile["Content-Type"].startswith("application/json")
    preflight = api.options(
        "/rest/v2/things",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert (
        preflight.status_code == 204
        and "Authorization" in preflight["Access-Control-Allow-Headers"]
    )
    for name in (
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Current",
        "X-RateLimit-Reset",
    ):
        assert name in answer


def test_not_acceptable(api, thing):
    answer = api.get(f"/rest/v2/things/{thing.pk}", headers={"Accept": "image/png"})
    assert answer.status_code == 406 and answer.json()["error"] == "not_acceptable"
    fine = api.get(f"/rest/v2/things/{thing.pk}", headers={"Accept": "application/stream+json"})
    assert fine.status_code == 200 and fine["Content-Type"].startswith("application/json")


def test_bad_json_body(publisher_api):
    answer = publisher_api.post("/rest/v2/things", "{not json", content_type="application/json")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


@override_settings(API_RATE_LIMIT_HOURLY=3)
def test_rate_limit_counts_per_token_and_ip(api, donor_api):
    for _ in range(3):
        assert api.get("/rest/v2/categories").status_code == 200
    over = api.get("/rest/v2/categories")
    assert over.status_code == 403 and over.json()["error"] == "rate_limit_exceeded"
    assert over["X-RateLimit-Remaining"] == "0"
    assert donor_api.get("/rest/v2/categories").status_code == 200  # a token has its own count
    assert api.get("/rest/v2/rate_limit").status_code == 200  # not counted


def test_server_errors_are_json(api, monkeypatch, thing):
    from flattr.api import views_users

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views_users, "language_choices", boom)
    answer = api.get("/rest/v2/languages")
    assert answer.status_code == 500 and answer.json()["error"] == "server_error"
