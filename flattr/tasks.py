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


@shared_task(name="flattr.tasks.data_export_build")
def data_export_build(export_id: int) -> None:
    """Build a "your data" zip and mail its link (idempotent: a built export is skipped)."""
    from flattr.data_export import data_export_build as build

    build(export_id=export_id)


@shared_task(name="flattr.tasks.accounts_erase_due")
def accounts_erase_due() -> int:
    """Erase the personal data of accounts closed 7 days ago (beat: daily)."""
    from flattr.closing import accounts_erase_due as erase

    return erase()
