"""Celery tasks of the API: webhook deliveries, retried with exponential backoff."""

from celery import shared_task
from django.conf import settings

BACKOFF_SECONDS = 30


@shared_task(name="flattr.api.tasks.webhook_deliver", bind=True, max_retries=None)
def webhook_deliver(self, delivery_id: int) -> str:
    """Send one delivery; on failure retry after 30 s, 60 s, 120 s … up to WEBHOOK_MAX_ATTEMPTS."""
    from flattr.api.webhooks import delivery_attempt

    state, attempts = delivery_attempt(delivery_id=delivery_id)
    while self.request.is_eager and state == "pending":  # tests, no-Redis development: at once
        state, attempts = delivery_attempt(delivery_id=delivery_id)
    if state == "pending" and attempts < settings.WEBHOOK_MAX_ATTEMPTS:
        raise self.retry(countdown=BACKOFF_SECONDS * 2 ** (attempts - 1))
    return state
