"""Outgoing webhooks: register an HTTPS URL, get signed events, see and replay deliveries.

Events: `flattr.created` (a new flattr on one of your things), `payday.finished` (with your
income of that payday), `pool.claimed` (a held pool you claimed). Each delivery is a POST of
JSON signed as Stripe signs: header `Flattr-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" with the webhook's secret>`. Deliveries are sent by Celery after commit, retried
with exponential backoff, and kept with the receiver's status and the start of its answer.

Payday lives below core and the pool claim above it: core listens to payments' payday_finished
signal (flattr.api.apps), and platform apps call `webhook_event_send` themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from flattr.api.models import Webhook, WebhookDelivery
from flattr.errors import FlattrError

SIGNATURE_HEADER = "Flattr-Signature"
RESPONSE_KEPT = 2000
WEBHOOKS_PER_USER = 10
EVENTS = tuple(Webhook.Event.values)
ANY_KEY = "api:webhooks:any"


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """Return the `Flattr-Signature` value for `body` ("t=…,v1=…")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_verify(*, secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """Check a `Flattr-Signature` as a receiver should (also used by our tests)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature_header(secret=secret, body=body, timestamp=timestamp).split("v1=")[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def webhook_url_clean(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if len(url) > 2000 or not parts.hostname:
        raise FlattrError("invalid_url", _("Enter a full https:// address."), field="url")
    loopback = internal = False
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        loopback = parts.hostname == "localhost"
    else:
        loopback = address.is_loopback
        internal = address.is_private or address.is_link_local or address.is_reserved
    if internal and not (loopback and settings.WEBHOOK_ALLOW_HTTP_LOOPBACK):
        # Our own network is not a receiver: a webhook must not probe it for its owner.
        raise FlattrError("invalid_url", _("Webhooks need a public address."), field="url")
    if parts.scheme == "https" and not (loopback and not settings.WEBHOOK_ALLOW_HTTP_LOOPBACK):
        return url
    if parts.scheme == "http" and loopback and settings.WEBHOOK_ALLOW_HTTP_LOOPBACK:
        return url
    raise FlattrError("invalid_url", _("Webhooks need an https:// address."), field="url")


@transaction.atomic
def webhook_create(*, user, url: str, events, application=None) -> Webhook:
    """Register a webhook for `user`, or for an application `user` develops."""
    events = [e for e in EVENTS if e in set(events or ())]
    if not events:
        raise FlattrError("invalid_parameters", _("Choose at least one event."), field="events")
    if application is not None and application.user_id != user.pk:
        raise FlattrError("not_found")
    if Webhook.objects.filter(user=user).count() >= WEBHOOKS_PER_USER:
        raise FlattrError("invalid_parameters", _("At most 10 webhooks, please."))
    cache.delete(ANY_KEY)  # now, and again after commit (a reader may cache "none" in between)
    transaction.on_commit(lambda: cache.delete(ANY_KEY))
    return Webhook.objects.create(
        user=user,
        application=application,
        url=webhook_url_clean(url),
        events=events,
        secret="whsec_" + secrets.token_hex(24),
    )


@transaction.atomic
def webhook_delete(*, user, webhook_id: int) -> None:
    deleted, _rows = Webhook.objects.filter(pk=webhook_id, user=user).delete()
    if not deleted:
        raise FlattrError("not_found")
    transaction.on_commit(lambda: cache.delete(ANY_KEY))


def webhooks_exist() -> bool:
    """Whether any webhook is registered, cached: a flattr costs no query while none is."""
    exists = cache.get(ANY_KEY)
    if exists is None:
        exists = Webhook.objects.filter(active=True).exists()
        cache.set(ANY_KEY, exists, 3600)
    return bool(exists)


def webhooks_for(*, event: str, user_ids: list[int]) -> list[tuple[Webhook, int]]:
    """Return (webhook, user id) pairs that receive `event` about these users: their own
    webhooks, and those of applications they authorised (a valid token)."""
    from oauth2_provider.models import AccessToken

    if not webhooks_exist():
        return []
    now = timezone.now()
    pairs = [
        (hook, hook.user_id)
        for hook in Webhook.objects.filter(
            active=True, application__isnull=True, user_id__in=user_ids, events__contains=[event]
        )
    ]
    grants = (
        AccessToken.objects.filter(user_id__in=user_ids, application__isnull=False, expires__gt=now)
        .values_list("application_id", "user_id")
        .distinct()
    )
    by_app: dict[int, set[int]] = {}
    for app_id, user_id in grants:
        by_app.setdefault(app_id, set()).add(user_id)
    if by_app:
        for hook in Webhook.objects.filter(
            active=True, application_id__in=by_app, events__contains=[event]
        ):
            pairs += [(hook, user_id) for user_id in sorted(by_app[hook.application_id])]
    return pairs


def _enqueue_on_commit(delivery_ids: list[int]) -> None:
    def send() -> None:
        from flattr.api.tasks import webhook_deliver

        for delivery_id in delivery_ids:
            webhook_deliver.delay(delivery_id)

    if delivery_ids:
        # Robust: a queue outage (Redis restarting) must not fail the flattr or payday that
        # caused the event; the delivery stays pending in the log and its owner can replay it.
        transaction.on_commit(send, robust=True)


@transaction.atomic
def webhook_event_send(*, event: str, user_ids: list[int], key: str, data_for) -> int:
    """Queue `event` for every webhook about these users; `data_for(user_id)` gives the event's
    data. `key` names the event (e.g. "payday:12"), so it is queued once per webhook and user
    however often this is called. Return the number of deliveries queued."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    created = []
    for hook, user_id in webhooks_for(event=event, user_ids=user_ids):
        payload = {
            "id": f"{event}:{key}:{user_id}",
            "event": event,
            "created_at": int(time.time()),
            "user": user_id,
            "data": data_for(user_id),
        }
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    webhook=hook, event=event, event_key=f"{key}:{user_id}", payload=payload
                )
        except IntegrityError:
            continue  # already queued for this webhook
        created.append(delivery.pk)
    _enqueue_on_commit(created)
    return len(created)


def pool_claimed_send(*, user, handle: str, amount_cents: int, account_id: int) -> int:
    """For platform apps: tell `user`'s webhooks they claimed a held pool."""
    data = {"handle": handle, "amount_cents": amount_cents, "currency": settings.CURRENCY}
    return webhook_event_send(
        event=Webhook.Event.POOL_CLAIMED,
        user_ids=[user.pk],
        key=f"claim:{account_id}:{int(time.time() * 1000)}",
        data_for=lambda _user_id: data,
    )


def on_flattr_created(sender, flattr, **kwargs) -> None:
    thing = flattr.thing
    if thing.owner_id is None:
        return
    donor = flattr.donor
    data = {
        "thing": {"id": thing.pk, "url": thing.url, "title": thing.title},
        "donor": donor.username if donor.show_as_supporter else None,
        "created_at": int(flattr.created_at.timestamp()),
    }
    webhook_event_send(
        event=Webhook.Event.FLATTR_CREATED,
        user_ids=[thing.owner_id],
        key=f"flattr:{flattr.pk}",
        data_for=lambda _user_id: data,
    )


def on_payday_finished(sender, payday, **kwargs) -> None:
    """Tell each recipient with a payday webhook what this payday paid them."""
    from payments.selectors import payday_income_by_user

    if not webhooks_exist():
        return
    user_ids = list(
        Webhook.objects.filter(active=True, events__contains=[Webhook.Event.PAYDAY_FINISHED])
        .filter(Q(application__isnull=True))
        .values_list("user_id", flat=True)
        .distinct()
    )
    app_ids = Webhook.objects.filter(
        active=True, application__isnull=False, events__contains=[Webhook.Event.PAYDAY_FINISHED]
    ).values_list("application_id", flat=True)
    if app_ids:
        from oauth2_provider.models import AccessToken

        user_ids += list(
            AccessToken.objects.filter(application_id__in=list(app_ids))
            .values_list("user_id", flat=True)
            .distinct()
        )
    income = payday_income_by_user(payday_id=payday.pk, user_ids=sorted(set(user_ids)))
    month = payday.month.strftime("%Y-%m")
    webhook_event_send(
        event=Webhook.Event.PAYDAY_FINISHED,
        user_ids=sorted(income),
        key=f"payday:{payday.pk}",
        data_for=lambda user_id: {
            "month": month,
            "income_cents": income[user_id],
            "currency": settings.CURRENCY,
        },
    )


def delivery_attempt(*, delivery_id: int) -> tuple[str, int]:
    """POST one delivery to its webhook and record the answer; return (state, attempts)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("webhook")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != WebhookDelivery.State.PENDING:
            return (delivery.state if delivery else "gone", delivery.attempts if delivery else 0)
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        delivery.save(update_fields=["attempts", "last_attempt_at"])
    hook = delivery.webhook
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Flattr-Webhooks/1.0",
        "Flattr-Event": delivery.event,
        "Flattr-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: signature_header(secret=hook.secret, body=body),
    }
    status, text, error = None, "", ""
    try:
        answer = requests.post(
            hook.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        status, text = answer.status_code, answer.text[:RESPONSE_KEPT]
    except requests.RequestException as failure:
        error = f"{type(failure).__name__}: {failure}"[:500]
    ok = status is not None and 200 <= status < 300
    exhausted = delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS
    state = (
        WebhookDelivery.State.DELIVERED
        if ok
        else WebhookDelivery.State.FAILED
        if exhausted
        else WebhookDelivery.State.PENDING
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=state, response_status=status, response_body=text, error=error
    )
    return (str(state), delivery.attempts)


@transaction.atomic
def delivery_replay(*, user, delivery_id: int) -> WebhookDelivery:
    """Send a logged delivery again, as a new delivery with the same payload."""
    original = WebhookDelivery.objects.filter(pk=delivery_id, webhook__user=user).first()
    if original is None:
        raise FlattrError("not_found")
    replay = WebhookDelivery.objects.create(
        webhook_id=original.webhook_id,
        event=original.event,
        event_key=original.event_key,
        payload=original.payload,
        replay_of=original,
    )
    _enqueue_on_commit([replay.pk])
    return replay
