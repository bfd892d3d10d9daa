"""The last line of defence while Redis (cache and Celery broker) is unreachable.

The cache already treats an outage as a miss (flattr/cache_backend.py) and every enqueue after a
commit is robust or falls back (README, "Redis restarted"), so this should not fire; if a path
was missed, its user gets a friendly 503 with Retry-After instead of a 500. Such an error can
only come from a view before its transaction commits (the request is then rolled back whole) or
from a task enqueued outside one, never from half of a change.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from kombu.exceptions import OperationalError as BrokerUnreachable
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
OUTAGE_ERRORS = (BrokerUnreachable, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 30


class OutageMiddleware:
    """Answer 503 (not 500) when a view fails because Redis is unreachable."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OUTAGE_ERRORS):
            return None
        logger.error("Redis unreachable during %s %s", request.method, request.path, exc_info=True)
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
