"""Demo money for `make run`."""

import io

import pytest

from payments import demo
from payments.models import Deposit, StripeEvent
from payments.selectors import balances_for_user, budget_get
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_demo_money_gives_anna_funds_through_the_webhook_path_once():
    anna = make_user(username="anna")

    demo.load(io.StringIO())
    demo.load(io.StringIO())

    assert balances_for_user(anna)["funds"] == 5000
    assert budget_get(anna).monthly_cents == 1000
    assert Deposit.objects.get(user=anna).status == Deposit.Status.SUCCEEDED
    assert StripeEvent.objects.get().outcome == StripeEvent.Outcome.APPLIED
