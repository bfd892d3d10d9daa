"""The fraud review page: each pattern, built here, is found on the page with a link to the
account; an ordinary month raises nothing."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from flattr.models import Flattr
from payments.models import Deposit
from payments.months import month_start
from tests.factories import make_user
from tests.payments.payday_data import make_thing
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db
FRAUD = reverse("console:fraud")


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(username="operator", is_staff=True, is_superuser=True))
    return client


def veteran(**fields) -> User:
    """A user who joined long ago (not new this month)."""
    user = make_user(**fields)
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - dt.timedelta(days=400))
    return user


def flattr(donor, thing) -> None:
    Flattr.objects.create(donor=donor, thing=thing, month=month_start())


def failed_deposit(user) -> None:
    Deposit.objects.create(
        user=user,
        reference=uuid.uuid4(),
        amount=500,
        currency="eur",
        method=Deposit.Method.CARD,
        status=Deposit.Status.FAILED,
        failure="Your card was declined.",
    )


def ordinary_month() -> None:
    """Old donors flattring old recipients, a few newcomers, one declined card."""
    recipients = [veteran() for _ in range(6)]
    things = [make_thing(owner=owner) for owner in recipients]
    donors = [veteran() for _ in range(8)]
    for i, donor in enumerate(donors):
        for thing in things[i % 3 : i % 3 + 3]:
            flattr(donor, thing)
    newcomer_recipient = make_user(signup_network="203.0.113.0/24")
    newcomer_thing = make_thing(owner=newcomer_recipient)
    for n in range(2):
        newcomer = make_user(signup_network=f"198.51.{n}.0/24")
        flattr(newcomer, things[n])
        flattr(newcomer, newcomer_thing)
    failed_deposit(donors[0])


def rows_of(page: str, pattern: str) -> int:
    return page.count(f'class="review-{pattern}"')


def test_an_ordinary_month_raises_nothing(admin_client):
    ordinary_month()
    page = admin_client.get(FRAUD)
    assert page.status_code == 200
    assert 'id="fraud-nothing"' in page.text


def test_a_new_recipient_flattred_by_many_new_donors_is_found(admin_client):
    ordinary_month()
    newbie = make_user(username="overnight_star")
    thing = make_thing(owner=newbie)
    for _ in range(5):
        flattr(make_user(), thing)

    page = admin_client.get(FRAUD).text

    assert rows_of(page, "new_recipient") == 1
    assert "5 new donors of 5 this month" in page
    assert f"{reverse('console:support')}?q=overnight_star" in page


def test_a_mutual_flattr_ring_is_found(admin_client):
    ordinary_month()
    alice, bob = veteran(username="ring_alice"), veteran(username="ring_bob")
    flattr(alice, make_thing(owner=bob))
    flattr(bob, make_thing(owner=alice))

    page = admin_client.get(FRAUD).text

    assert rows_of(page, "ring") == 1
    assert "ring_alice and ring_bob flattr each other" in page


def test_a_claimer_sharing_a_network_with_the_pools_donors_is_found(admin_client):
    ordinary_month()
    network = "203.0.113.0/24"
    claimer = make_user(username="claimer", signup_network=network)
    thing = make_thing(pool_label="@cashout")
    PlatformAccount.objects.create(
        user_id="4242",
        handle="cashout",
        handle_checked_at=timezone.now(),
        pool=thing.payee,
        thing=thing,
        claimed_by=claimer,
        claimed_at=timezone.now(),
    )
    for _ in range(2):
        flattr(make_user(signup_network=network), thing)
    flattr(make_user(email="friend@cashout-corp.example"), thing)
    User.objects.filter(pk=claimer.pk).update(email="boss@cashout-corp.example")

    page = admin_client.get(FRAUD).text

    assert rows_of(page, "claimer_shared") == 1
    assert "2 donors signed up from the claimer&#x27;s network 203.0.113.0/24" in page
    assert "1 donor has an address at cashout-corp.example" in page


def test_many_failed_deposits_from_one_account_or_network_are_found(admin_client):
    ordinary_month()
    tester = make_user(username="card_tester")
    for _ in range(5):
        failed_deposit(tester)
    for _ in range(3):
        fresh = make_user(signup_network="198.51.100.0/24")
        failed_deposit(fresh)
        failed_deposit(fresh)

    page = admin_client.get(FRAUD).text

    assert rows_of(page, "card_testing") == 2
    assert "5 failed deposits" in page
    assert "6 failed deposits from 3 accounts on 198.51.100.0/24" in page


def test_a_sign_up_burst_from_one_network_is_found(admin_client):
    ordinary_month()
    for _ in range(10):
        make_user(signup_network="2001:db8:1::/48")

    page = admin_client.get(FRAUD).text

    assert rows_of(page, "signup_burst") == 1
    assert "10 sign-ups within 24 hours from 2001:db8:1::/48" in page
    assert "?q=2001%3Adb8%3A1%3A%3A/48" in page  # the row links to everyone on the network
