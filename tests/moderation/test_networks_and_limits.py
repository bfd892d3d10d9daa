"""Sign-up networks are recorded at sign-up; deposit attempts are limited per account and per
network, and a suspended account takes no deposits."""

import uuid

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import User
from accounts.moderation import user_suspend
from accounts.networks import network_of
from payments.errors import PaymentError
from payments.fraud import deposit_attempt_check
from payments.models import Deposit
from tests.accounts.flows import sign_up
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("not an address", ""),
        ("", ""),
        ("999.1.1.1", ""),
    ],
)
def test_an_address_is_reduced_to_its_network(address, network):
    assert network_of(address) == network


@pytest.mark.parametrize(
    ("address", "network"),
    [("203.0.113.77", "203.0.113.0/24"), ("2001:db8:abcd:12::1", "2001:db8:abcd::/48")],
)
def test_sign_up_records_the_network_and_never_the_address(client, address, network):
    response = sign_up(client, username="fresh", email="fresh@example.org", REMOTE_ADDR=address)
    assert response.status_code == 302
    user = User.objects.get(username="fresh")
    assert user.signup_network == network
    assert address not in str(User.objects.filter(pk=user.pk).values().get())


def test_deposit_attempts_are_limited_per_account(settings):
    settings.DEPOSIT_ATTEMPTS_PER_ACCOUNT_HOUR = 3
    user = make_user()
    for _ in range(3):
        deposit_attempt_check(user=user, network="203.0.113.0/24")
    with pytest.raises(PaymentError) as limited:
        deposit_attempt_check(user=user, network="203.0.113.0/24")
    assert limited.value.code == "deposit_rate_limited"
    deposit_attempt_check(user=make_user(), network="203.0.113.0/24")  # others may still pay


def test_deposit_attempts_are_limited_per_network_across_accounts(settings):
    settings.DEPOSIT_ATTEMPTS_PER_NETWORK_HOUR = 4
    for _ in range(4):
        deposit_attempt_check(user=make_user(), network="198.51.100.0/24")
    with pytest.raises(PaymentError):
        deposit_attempt_check(user=make_user(), network="198.51.100.0/24")
    deposit_attempt_check(user=make_user(), network="192.0.2.0/24")


def test_the_add_funds_page_refuses_past_the_limit_before_calling_stripe(client, settings):
    settings.DEPOSIT_ATTEMPTS_PER_ACCOUNT_HOUR = 0
    client.force_login(make_user())
    response = client.post(
        reverse("payments:deposit_confirm"),
        {"amount": 1000, "reference": str(uuid.uuid4()), "card": "visa"},
    )
    assert response.status_code == 302
    assert "Too many payment attempts" in " ".join(
        str(m) for m in get_messages(response.wsgi_request)
    )
    assert Deposit.objects.count() == 0


def test_a_suspended_account_takes_no_deposits():
    moderator = make_user(is_staff=True, is_superuser=True)
    user = make_user()
    user_suspend(user=user, by=moderator, reason="chargebacks")
    with pytest.raises(PaymentError) as refused:
        deposit_attempt_check(user=user, network="")
    assert refused.value.code == "account_suspended"
