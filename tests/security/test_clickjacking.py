"""Clickjacking: every page of the site refuses to be framed (X-Frame-Options DENY and CSP
frame-ancestors 'none'), except the button, which third-party pages embed in an iframe.

The pages come from the URLconf, requested by a signed-in staff user so that the pages behind a
login answer too; error pages and redirects must carry the headers as well.
"""

from __future__ import annotations

import pytest
from django.test import Client

from flattr.models import Flattr
from flattr.selectors import month_start
from tests.factories import fund_user, make_thing, make_user
from tests.security.routes import site_routes

pytestmark = pytest.mark.django_db

# View (module.function) -> why it may be framed by any site, under any of its paths.
FRAMEABLE = {
    "flattr.button_views.button_view": (
        "the flattr button is an iframe on publishers' pages: that is its purpose"
    ),
}


def view_path(route) -> str:
    return f"{route.view.__module__}.{route.view.__name__}"


def frame_ancestors(response) -> str:
    policy = response.get("Content-Security-Policy", "")
    for directive in policy.split(";"):
        name, _, value = directive.strip().partition(" ")
        if name == "frame-ancestors":
            return value.strip()
    return ""


@pytest.fixture
def pages():
    admin = fund_user(make_user(is_staff=True, is_superuser=True))
    thing = make_thing(owner=admin)
    flattr = Flattr.objects.create(donor=admin, thing=make_thing(), month=month_start())
    samples = {
        "thing_id": str(thing.pk),
        "flattr_id": str(flattr.pk),
        "username": admin.username,
        "handle": "alice",
        "object_id": str(thing.pk),
    }
    client = Client()
    client.force_login(admin)
    return client, site_routes(samples)


def test_every_page_refuses_to_be_framed_except_the_button(pages):
    client, routes = pages
    frameable = []
    html_pages = 0
    for route in routes:
        if view_path(route) in FRAMEABLE:
            continue
        try:
            response = client.get(route.path)
        except Exception as error:
            raise AssertionError(f"{route.path} ({route.name})") from error
        html_pages += response.get("Content-Type", "").startswith("text/html")
        if response.get("X-Frame-Options") != "DENY" or frame_ancestors(response) != "'none'":
            frameable.append(
                f"{route.path} ({route.name}) {response.status_code}: "
                f"X-Frame-Options={response.get('X-Frame-Options')!r}, "
                f"frame-ancestors={frame_ancestors(response)!r}"
            )
    assert frameable == []
    assert html_pages > 50  # the walk really reached the pages


def test_the_button_may_be_framed_by_any_site_and_nothing_else_about_it_is_loosened(pages):
    client, _routes = pages
    thing = make_thing()
    response = client.get("/button/view/", {"uid": thing.owner.username, "url": thing.url})
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert frame_ancestors(response) == "*"
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_a_page_that_does_not_exist_refuses_to_be_framed_too():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"
    assert frame_ancestors(response) == "'none'"
