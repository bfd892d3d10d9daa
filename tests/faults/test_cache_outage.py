"""A cache outage (Redis unreachable) on each hot view: no 5xx, and the flattr is kept.

The cache here is the real backend pointed at a loopback port where nothing listens, so every
call meets the ConnectionError a stopped Redis gives.
"""

from __future__ import annotations

import logging
import socket

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.test import RequestFactory
from django.urls import reverse
from kombu.exceptions import OperationalError

from flattr.models import Flattr
from flattr.outage import OutageMiddleware
from flattr.services import flattr_add
from payments.fraud import deposit_attempt_check
from payments.selectors import ledger_check
from tests.factories import fund_user, make_thing, make_user

pytestmark = pytest.mark.django_db


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again at once: connections are refused


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "flattr.cache_backend.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_dead_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    from flattr.selectors import BUTTON_LOCAL_CACHE

    BUTTON_LOCAL_CACHE.clear()
    yield
    BUTTON_LOCAL_CACHE.clear()


@pytest.fixture
def thing():
    return make_thing(owner=make_user(), url="https://pat.example.org/post-1", title="A post")


@pytest.fixture
def donor():
    return fund_user(make_user())


def test_the_cache_answers_every_call_as_a_miss_while_redis_is_down(redis_down):
    assert cache.get("k", "default") == "default"
    cache.set("k", 1)
    assert cache.add("k", 1) is False
    assert cache.get_many(["k"]) == {}
    assert cache.delete("k") is False
    cache.delete_many(["k"])
    assert cache.has_key("k") is False
    assert cache.get_or_set("k", 5) == 5  # computed, not stored
    with pytest.raises(ValueError):
        cache.incr("k")  # as for a missing key


def test_the_hot_views_answer_from_the_database_while_redis_is_down(
    redis_down, client, thing, donor
):
    flattr_add(donor=fund_user(make_user()), thing=thing)
    client.force_login(donor)

    button = client.get(reverse("button_view"), {"uid": thing.owner.username, "url": thing.url})
    badge = client.get(reverse("badge_by_id", kwargs={"thing_id": thing.pk}))
    count = client.get(reverse("count_by_id", kwargs={"thing_id": thing.pk}))
    page = client.get(reverse("thing_detail", kwargs={"thing_id": thing.pk}))
    flattred = client.post(reverse("thing_flattr", kwargs={"thing_id": thing.pk}), follow=True)
    dashboard = client.get(reverse("dashboard"))

    assert [r.status_code for r in (button, badge, count, page, flattred, dashboard)] == [200] * 6
    assert count.json()["count"] == 1  # counted in the database, not the cache
    assert "You flattred" in flattred.text
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1
    assert thing.title in dashboard.text  # still signed in: the session is in the database
    assert ledger_check() == []


def test_the_flattr_made_while_redis_is_down_shows_once_redis_is_back(
    redis_down, client, thing, donor, settings
):
    client.force_login(donor)
    assert client.post(reverse("thing_flattr", kwargs={"thing_id": thing.pk})).status_code == 302
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    count = client.get(reverse("count_by_id", kwargs={"thing_id": thing.pk}))

    assert count.json()["count"] == 1
    assert client.get(reverse("dashboard")).status_code == 200  # the session survived
    assert ledger_check() == []


def test_deposit_rate_limits_fail_open_while_redis_is_down(redis_down, settings):
    settings.DEPOSIT_ATTEMPTS_PER_ACCOUNT_HOUR = 1
    user = make_user()
    for _ in range(3):  # each attempt counts as the first of its hour
        deposit_attempt_check(user=user, network="192.0.2.0/24")


def test_a_mail_is_sent_directly_when_the_queue_is_unreachable(monkeypatch):
    from accounts import mail as account_mail
    from accounts.tasks import mail_send

    def unreachable(**_kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(mail_send, "delay", unreachable)
    message = EmailMultiAlternatives(subject="Hello", body="Body", to=["a@example.org"])
    account_mail.message_send(message)

    assert [m.subject for m in mail.outbox] == ["Hello"]


def test_a_redis_error_that_escapes_a_view_is_a_friendly_503(caplog):
    middleware = OutageMiddleware(lambda request: None)
    request = RequestFactory().post("/admin/payments/payday/")

    with caplog.at_level(logging.ERROR, logger="flattr.outage"):
        response = middleware.process_exception(request, OperationalError("refused"))

    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Nothing was lost" in response.content.decode()
    assert middleware.process_exception(request, ValueError("x")) is None


def test_an_api_call_that_meets_a_redis_error_answers_503_json(caplog):
    from flattr.api.middleware import ApiErrorMiddleware

    middleware = ApiErrorMiddleware(lambda request: None)
    request = RequestFactory().get("/rest/v2/user")

    with caplog.at_level(logging.CRITICAL):
        response = middleware.process_exception(request, OperationalError("refused"))

    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("application/json")
