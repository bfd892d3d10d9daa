"""X profile URLs through the API, and the webhooks fed by the layers around core: payday
(payments, below) and the pool claim (twitter_claims, above)."""

import datetime as dt
import json

import pytest

from flattr.api.webhooks import webhook_create
from flattr.services import flattr_add
from tests.factories import make_thing, make_user
from tests.twitter_claims.journeys import donors_flattr, make_donor, payday_for
from twitter_claims import services as twitter
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db
MARCH = dt.date(2025, 3, 1)


def test_flattr_and_lookup_an_x_profile_url(fake_x, donor_api):
    answer = donor_api.post("/rest/v2/flattr", {"url": "https://x.com/alice"})
    assert answer.status_code == 200, answer.json()
    account = PlatformAccount.objects.get(user_id="42")
    assert answer.json()["thing"]["id"] == account.thing_id
    found = donor_api.get("/rest/v2/things/lookup", {"url": "https://twitter.com/alice"})
    assert found.status_code == 302 and found["Location"].endswith(f"/things/{account.thing_id}")
    again = donor_api.post("/rest/v2/flattr", {"url": "https://twitter.com/alice"})
    assert again.json()["error"] == "flattr_once"


def test_pool_claimed_webhook(fake_x, receiver, django_capture_on_commit_callbacks):
    url, calls, _statuses = receiver
    donors_flattr("alice", count=2)
    with django_capture_on_commit_callbacks(execute=True):
        payday_for(MARCH)
    owner = make_user(username="alice")
    webhook_create(user=owner, url=url, events=["pool.claimed"])
    account = PlatformAccount.objects.get(user_id="42")
    with django_capture_on_commit_callbacks(execute=True):
        result = twitter.pool_claim(account_id=account.pk, user=owner)
    payloads = [json.loads(body) for _headers, body in calls]
    assert [p["event"] for p in payloads] == ["pool.claimed"]
    assert payloads[0]["data"]["amount_cents"] == result.amount_cents == 2 * 900


def test_payday_webhook_tells_each_recipient_their_income(
    receiver, django_capture_on_commit_callbacks
):
    url, calls, _statuses = receiver
    publisher, quiet = make_user(), make_user()
    webhook_create(user=publisher, url=url, events=["payday.finished"])
    thing, other = make_thing(owner=publisher), make_thing(owner=quiet)
    for donor in (make_donor(budget=1000, funds=5000), make_donor(budget=1000, funds=5000)):
        flattr_add(donor=donor, thing=thing)
        flattr_add(donor=donor, thing=other)
    with django_capture_on_commit_callbacks(execute=True):
        payday_for(MARCH)
    payloads = [json.loads(body) for _headers, body in calls]
    assert len(payloads) == 1  # the publisher with a webhook; nobody else
    assert payloads[0]["event"] == "payday.finished"
    assert payloads[0]["data"] == {"month": "2025-03", "income_cents": 2 * 450, "currency": "EUR"}
