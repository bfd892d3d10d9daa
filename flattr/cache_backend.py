"""The cache backend: Django's RedisCache, with a Redis outage treated as an empty cache.

Nothing the cache holds is the only copy of anything (counts, button data, rate-limit counters,
a copy of each session; the database has the truth), so while Redis is down or restarting every
read is a miss, every write and delete is dropped, and `incr` raises ValueError as it does for a
missing key. The page is then built from the database, a little slower, instead of failing with
a 500. A restarted Redis is empty, so nothing stale survives the outage; after a short network
blip a count may be stale until its timeout (BUTTON_CACHE_SECONDS at most).

Rate limits counted here (deposit and payout attempts, API calls, allauth's login limits)
therefore fail open while Redis is down: see the README's "Redis restarted" design note.

Connections reconnect by themselves: redis-py drops a broken connection from its pool and opens
a new one for the next command, so a restarted Redis is used again without restarting Django.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)
LOG_EVERY_SECONDS = 10  # one warning per process every so often, not one per cache call


class ResilientRedisCache(RedisCache):
    """RedisCache whose calls never raise for an unreachable Redis (see the module docstring)."""

    _last_logged = 0.0

    def _outage(self, operation: str, error: Exception) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._last_logged >= LOG_EVERY_SECONDS:
            ResilientRedisCache._last_logged = now
            logger.warning("cache %s failed, treated as a miss: %r", operation, error)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except OUTAGE_ERRORS as error:
            self._outage("add", error)
            return False

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except OUTAGE_ERRORS as error:
            self._outage("get", error)
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except OUTAGE_ERRORS as error:
            self._outage("set", error)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except OUTAGE_ERRORS as error:
            self._outage("touch", error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except OUTAGE_ERRORS as error:
            self._outage("delete", error)
            return False

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except OUTAGE_ERRORS as error:
            self._outage("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except OUTAGE_ERRORS as error:
            self._outage("has_key", error)
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except OUTAGE_ERRORS as error:
            self._outage("incr", error)
            raise ValueError(f"Key {key!r} not found (the cache is unreachable).") from error

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except OUTAGE_ERRORS as error:
            self._outage("set_many", error)
            return list(data)  # the keys that failed to be stored

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except OUTAGE_ERRORS as error:
            self._outage("delete_many", error)

    def clear(self):
        try:
            return super().clear()
        except OUTAGE_ERRORS as error:
            self._outage("clear", error)
            return False
