"""Login and sign-up are rate limited through the cache (Redis in production)."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from tests.accounts.flows import log_in, logged_in_user_id
from tests.factories import make_user

pytestmark = pytest.mark.django_db

FAILED_LOGINS_PER_ACCOUNT = 5  # ACCOUNT_RATE_LIMITS["login_failed"] = "10/m/ip,5/5m/key"
SIGNUPS_PER_IP_AND_MINUTE = 10  # ACCOUNT_RATE_LIMITS["signup"] = "10/m/ip"
TOO_MANY_LOGINS = "Too many failed login attempts"


@pytest.fixture
def locmem_cache(settings):
    """Use a process-local cache, as `make run` does without REDIS_URL."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "rate-limit-tests",
        }
    }
    cache.clear()  # locmem caches outlive a test; start from zero attempts
    yield
    cache.clear()


def fail_logins_then_try_the_right_password(client, username: str):
    for attempt in range(FAILED_LOGINS_PER_ACCOUNT):
        response = log_in(client, login=username, password=f"wrong {attempt}")
        assert response.status_code == 200
        assert TOO_MANY_LOGINS not in response.content.decode(), f"refused at attempt {attempt}"
    return log_in(client, login=username)


def test_the_limits_in_effect_are_the_documented_ones():
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"] == "10/m/ip,5/5m/key"
    assert settings.ACCOUNT_RATE_LIMITS["signup"] == "10/m/ip"


def test_after_five_failed_logins_even_the_right_password_is_refused(client, locmem_cache):
    make_user(username="anna")

    response = fail_logins_then_try_the_right_password(client, "anna")

    assert response.status_code == 200
    assert TOO_MANY_LOGINS in response.content.decode()
    assert logged_in_user_id(client) is None


def test_failed_logins_for_one_account_do_not_lock_out_another(client, locmem_cache):
    make_user(username="anna")
    bob = make_user(username="bob")
    fail_logins_then_try_the_right_password(client, "anna")

    response = log_in(client, login="bob")

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(bob.pk)


def test_the_eleventh_sign_up_attempt_in_a_minute_gets_429(client, locmem_cache):
    url = reverse("account_signup")
    # Mismatched passwords: each attempt is refused by the form, yet counts against the limit.
    bad = {"username": "x", "email": "x@example.org", "password1": "a", "password2": "b"}
    for attempt in range(SIGNUPS_PER_IP_AND_MINUTE):
        assert client.post(url, bad).status_code == 200, f"limited at attempt {attempt}"

    response = client.post(url, bad)

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert client.get(url).status_code == 200, "reading the page is never limited"


@pytest.mark.redis
def test_the_login_limit_holds_in_the_shared_redis_cache(client):
    import redis

    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    make_user(username="anna")

    response = fail_logins_then_try_the_right_password(client, "anna")

    assert TOO_MANY_LOGINS in response.content.decode()
    assert logged_in_user_id(client) is None
    # The counters live in Redis, so every web process sees the same ones.
    keys = redis.Redis.from_url(settings.REDIS_URL).keys(
        f"{settings.CACHE_KEY_PREFIX}:*allauth:rl:allauth.account:login_failed*"
    )
    assert keys
