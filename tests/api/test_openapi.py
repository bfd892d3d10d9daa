"""The OpenAPI description: valid, and schemathesis finds no 5xx and no response off it."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import resolve
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from flattr.api import urls as api_urls
from flattr.api.openapi import openapi_document
from tests.api.conftest import token_for
from tests.factories import fund_user, make_thing, make_user


def test_every_documented_path_is_served_and_every_served_path_documented():
    """The document and the URL patterns cannot drift apart."""
    document = openapi_document(server="http://localhost/rest/v2")
    assert document["openapi"].startswith("3.")
    for path in document["paths"]:
        concrete = path.replace("{thing_id}", "1").replace("{username}", "pat")
        match = resolve("/rest/v2" + concrete)
        assert match.url_name != "api_not_found", path
    served = {p.name for p in api_urls.urlpatterns if p.name and p.name.startswith("api_")}
    undocumented = {"api_not_found", "api_openapi", "api_docs", "api_apps", "api_access",
                    "api_webhooks", "api_delivery_replay"}  # fmt: skip
    assert len(served - undocumented) == len(document["paths"])


@pytest.fixture
def api_schema():
    """The schema served by the app itself, called in-process through WSGI (the connection
    stays open between calls, as with Django's test client, so the test's data is seen)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/developers/api/openapi.json", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db):
    owner = make_user(username="pat")
    make_thing(owner=owner, url="https://pat.example.org/1", title="First post", tags="a,b")
    donor = fund_user(make_user(username="anna"))
    return token_for(donor)


@pytest.mark.django_db
def test_no_server_errors_and_answers_match_the_schema(api_schema, world):
    """Every operation, with generated parameters and bodies, with a Bearer token."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 24
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            case.call_and_validate(
                headers={"Authorization": f"Bearer {world}"},
                checks=[not_a_server_error, response_schema_conformance],
            )

        call()
