"""The hourly rate limit (API_RATE_LIMIT_HOURLY per token, or per IP without one).

Counted in the cache, which is Redis in production, so every web process shares one count. The
window is the clock hour; `X-RateLimit-Reset` is its end as a unix time.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

KEY = "api:rate:{who}:{hour}"


def _window() -> tuple[int, int]:
    now = int(time.time())
    hour = now // 3600
    return hour, (hour + 1) * 3600


def _headers(current: int, reset: int) -> dict:
    limit = settings.API_RATE_LIMIT_HOURLY
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, limit - current)),
        "X-RateLimit-Current": str(current),
        "X-RateLimit-Reset": str(reset),
    }


def hit(auth) -> tuple[dict, bool]:
    """Count one call; return the headers and whether the limit is exceeded."""
    hour, reset = _window()
    key = KEY.format(who=auth.rate_key, hour=hour)
    cache.add(key, 0, timeout=3700)
    try:
        current = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3700)
        current = 1
    return _headers(current, reset), current > settings.API_RATE_LIMIT_HOURLY


def status(auth) -> dict:
    """Return the caller's counters without counting a call (for GET /rate_limit)."""
    hour, reset = _window()
    current = int(cache.get(KEY.format(who=auth.rate_key, hour=hour)) or 0)
    limit = settings.API_RATE_LIMIT_HOURLY
    return {
        "current": current,
        "limit": limit,
        "remaining": max(0, limit - current),
        "reset": reset,
    }


def peek(auth) -> dict:
    info = status(auth)
    return _headers(info["current"], info["reset"])
