"""Celery tasks of the core app. Each task is a thin wrapper around a service."""

from celery import shared_task
from django.core.cache import cache

PING_TTL_SECONDS = 60


@shared_task(name="flattr.tasks.ping")
def ping(*, key: str, value: str) -> str:
    """Write `value` under `key` in the cache and return it.

    A liveness probe: proves a worker is consuming the broker with this project's settings and
    can reach the shared cache. Idempotent, like every task (acks are late, so it may run twice).
    """
    cache.set(key, value, timeout=PING_TTL_SECONDS)
    return value


@shared_task(name="flattr.tasks.subscriptions_renew")
def subscriptions_renew() -> int:
    """Create this month's flattrs for running subscriptions (beat: the 1st, 00:05 UTC)."""
    from flattr.services import subscriptions_renew as renew

    return renew()
