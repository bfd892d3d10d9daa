"""Fixtures for the API tests: users, things, and Bearer tokens with chosen scopes."""

import pytest
from django.test import Client

from flattr.api.services import personal_token_create
from tests.factories import fund_user, make_thing, make_user


@pytest.fixture
def publisher(db):
    return make_user(username="pat", display_name="Pat Publisher")


@pytest.fixture
def thing(publisher):
    return make_thing(
        owner=publisher,
        url="https://pat.example.org/post-1",
        title="Pat's first post",
        tags="music,live",
        category="audio",
    )


@pytest.fixture
def donor(db):
    return fund_user(make_user(username="anna", display_name="Anna Donor"))


def token_for(user, scopes="flattr thing email extendedread") -> str:
    return personal_token_create(user=user, scopes=scopes.split()).value


class ApiClient(Client):
    """A test client that sends `Authorization: Bearer <token>` when given one."""

    def __init__(self, token: str | None = None):
        super().__init__(enforce_csrf_checks=True)
        self.token = token

    def generic(self, method, path, *args, **kwargs):
        if self.token:
            kwargs["headers"] = dict(kwargs.get("headers") or {})
            kwargs["headers"].setdefault("Authorization", f"Bearer {self.token}")
        return super().generic(method, path, *args, **kwargs)


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def donor_api(donor):
    return ApiClient(token_for(donor))


@pytest.fixture
def publisher_api(publisher):
    return ApiClient(token_for(publisher))
