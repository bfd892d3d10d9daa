"""Fixtures for the core app's tests: a publisher's thing and donors who may flattr."""

import pytest

from tests.factories import fund_user, make_thing, make_user


@pytest.fixture
def publisher(db):
    return make_user(username="pat", display_name="Pat Publisher")


@pytest.fixture
def thing(publisher):
    return make_thing(
        owner=publisher, url="https://pat.example.org/post-1", title="Pat's first post"
    )


@pytest.fixture
def donor(db):
    return fund_user(make_user(username="anna", display_name="Anna Donor"))


@pytest.fixture(autouse=True)
def _fresh_button_cache():
    """Start every test without rendered buttons in process memory (like the root conftest's
    cache.clear() for Redis)."""
    from flattr.selectors import BUTTON_LOCAL_CACHE

    BUTTON_LOCAL_CACHE.clear()
    yield
    BUTTON_LOCAL_CACHE.clear()
