"""Webhooks: signed deliveries to a loopback receiver, retries, the log, replay, the events."""

import json

import pytest
from django.test import Client

from flattr.api.models import Webhook, WebhookDelivery
from flattr.api.webhooks import on_payday_finished, signature_verify, webhook_create
from flattr.services import flattr_add
from tests.factories import fund_user, make_thing, make_user

pytestmark = pytest.mark.django_db


def test_new_flattr_is_signed_and_retried(receiver, django_capture_on_commit_callbacks, settings):
    url, calls, statuses = receiver
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    owner = make_user()
    hook = webhook_create(user=owner, url=url, events=["flattr.created"])
    thing = make_thing(owner=owner)
    donor = fund_user(make_user())
    statuses.extend([500])  # the first attempt fails, the retry succeeds
    with django_capture_on_commit_callbacks(execute=True):
        flattr_add(donor=donor, thing=thing)
    assert len(calls) == 2
    headers, body = calls[-1]
    assert signature_verify(secret=hook.secret, body=body, header=headers["Flattr-Signature"])
    assert not signature_verify(secret="whsec_other", body=body, header=headers["Flattr-Signature"])
    payload = json.loads(body)
    assert payload["event"] == "flattr.created" and payload["data"]["thing"]["id"] == thing.pk
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "delivered" and delivery.attempts == 2
    assert delivery.response_status == 200 and delivery.response_body == "thanks"


def test_failing_receiver_gives_up_and_replay_sends_again(
    receiver, django_capture_on_commit_callbacks, settings
):
    url, calls, statuses = receiver
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    owner = make_user()
    webhook_create(user=owner, url=url, events=["flattr.created"])
    statuses.extend([503, 503])
    with django_capture_on_commit_callbacks(execute=True):
        flattr_add(donor=fund_user(make_user()), thing=make_thing(owner=owner))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failed" and delivery.attempts == 2 and len(calls) == 2
    browser = Client()
    browser.force_login(owner)
    page = browser.get("/accounts/webhooks/")
    assert page.status_code == 200 and "flattr.created" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            browser.post(f"/accounts/webhooks/deliveries/{delivery.pk}/replay/").status_code == 302
        )
    replay = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert replay.state == "delivered" and replay.payload == delivery.payload and len(calls) == 3


def test_payday_income_event(receiver, django_capture_on_commit_callbacks):
    url, calls, _statuses = receiver
    owner = make_user()
    webhook_create(user=owner, url=url, events=["payday.finished"])

    class FakePayday:  # the signal's payload: payday_income_by_user finds no shares for it
        pk = 10**12
        month = __import__("datetime").date(2026, 11, 1)

    with django_capture_on_commit_callbacks(execute=True):
        on_payday_finished(sender=None, payday=FakePayday())
    assert calls == []  # no income in that payday: nobody is told


def test_only_https_and_loopback_in_tests():
    owner = make_user()
    from flattr.errors import FlattrError

    with pytest.raises(FlattrError):
        webhook_create(user=owner, url="http://example.org/hook", events=["flattr.created"])
    with pytest.raises(FlattrError):
        webhook_create(user=owner, url="https://example.org/hook", events=[])
    for internal in (
        "https://10.0.0.7/hook",
        "https://169.254.169.254/latest",
        "https://[fd00::1]/",
    ):
        with pytest.raises(FlattrError):
            webhook_create(user=owner, url=internal, events=["pool.claimed"])
    assert webhook_create(user=owner, url="https://example.org/hook", events=["pool.claimed"])
    assert Webhook.objects.count() == 1
