"""Hypothesis over every POST of the site: random and hostile strings, huge and negative
numbers, unicode, in every field name any of the project's forms declares, to every URL of the
URLconf (tests/security/routes.py walks it, so a view merged later is fuzzed too), logged in
and not. Nothing may answer 5xx; the ledger check (autouse) is clean afterwards.

The API has its own pass (tests/api/test_openapi.py, schemathesis over the OpenAPI document).
"""

from __future__ import annotations

import django.forms
import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import fund_user, make_thing, make_user
from tests.security.routes import site_routes

APPS = ("accounts.", "payments.", "flattr.", "twitter_claims.")
# Server to server, signature first: tests/payments/test_webhook.py forges and fuzzes it.
SKIP = {"payments:stripe_webhook"}
EXTRA_FIELDS = (  # allauth's and the hand-written forms' names
    "login", "password", "email", "username", "password1", "password2", "next", "handle",
    "account", "provider", "amount", "reference", "card", "everything", "purpose", "action",
    "_selected_action", "allow", "client_id", "redirect_uri", "scope", "state", "url", "title",
)  # fmt: skip
HOSTILE = (
    "", " ", "0", "-1", "-0.01", "1e309", "NaN", "inf", "99999999999999999999999999", "9" * 400,
    "0x10", "1,5", "€5", "5.005", "<script>alert(1)</script>", "' OR 1=1 --", "\x00", "\ud7ff",
    "../../etc/passwd", "javascript:alert(1)", "http://127.0.0.1:6379/", "http://[::1]/",
    "//evil.example/", "https://evil.example/", "a" * 10_000, "🐝" * 300, "\u202e\u0000x",
    "00000000-0000-0000-0000-000000000001", "on", "true", "custom",
)  # fmt: skip


def _form_fields() -> list[str]:
    """Every field name declared by a form of the project's apps, and the extras above."""
    names, todo = set(EXTRA_FIELDS), [django.forms.Form, django.forms.ModelForm]
    while todo:
        form = todo.pop()
        todo.extend(form.__subclasses__())
        if form.__module__.startswith(APPS):
            names.update(getattr(form, "base_fields", {}))
    return sorted(names)


values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@pytest.fixture
def stage(db):
    user = fund_user(make_user(username="fuzzer"))
    thing = make_thing(owner=make_user(username="pat"))
    routes = [r for r in site_routes({"thing_id": str(thing.pk)}) if r.name not in SKIP]
    assert {"thing_submit", "payments:budget", "payments:deposit_new"} <= {r.name for r in routes}
    fields = _form_fields()
    assert {"url", "title", "custom_amount", "choice", "handle"} <= set(fields)
    return user, routes, fields


@pytest.mark.django_db
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_post_to_any_url_answers_5xx(stage, data):
    user, routes, fields = stage
    route = data.draw(st.sampled_from(routes), label="route")
    body = data.draw(st.dictionaries(st.sampled_from(fields), values, max_size=6), label="body")
    client = Client(raise_request_exception=False)
    if data.draw(st.booleans(), label="logged in"):
        client.force_login(user)
    response = client.post(route.path, body)
    assert response.status_code < 500, f"{route.name} {route.path} {body!r}"
