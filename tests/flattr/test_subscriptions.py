"""Subscriptions: auto-flattr a thing at the start of each month, set-based and idempotent."""

import datetime as dt

import pytest
from django.utils import timezone

from flattr.errors import FlattrError
from flattr.models import Flattr, Subscription, Thing
from flattr.services import subscription_cancel, subscription_create, subscriptions_renew
from flattr.tasks import subscriptions_renew as renew_task
from payments.models import Budget
from payments.months import month_next, month_start
from tests.factories import fund_user, make_thing, make_user

pytestmark = pytest.mark.django_db


def test_subscribing_flattrs_this_month_and_runs_for_the_chosen_months(donor, thing):
    subscription = subscription_create(donor=donor, thing=thing, months=3)
    first = month_start()
    assert subscription.first_month == first
    assert subscription.last_month == month_next(month_next(first))
    assert Flattr.objects.filter(donor=donor, thing=thing, month=first).count() == 1


def test_subscribing_after_flattring_this_month_keeps_the_one_flattr(donor, thing):
    from flattr.services import flattr_add

    flattr_add(donor=donor, thing=thing)
    subscription_create(donor=donor, thing=thing, months=6)
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1


@pytest.mark.parametrize("months", [0, 1, 2, 4, 24, -3])
def test_only_3_6_or_12_months(donor, thing, months):
    with pytest.raises(FlattrError) as error:
        subscription_create(donor=donor, thing=thing, months=months)
    assert error.value.code == "invalid_parameters"


def test_one_running_subscription_per_thing(donor, thing):
    subscription_create(donor=donor, thing=thing, months=3)
    with pytest.raises(FlattrError) as error:
        subscription_create(donor=donor, thing=thing, months=12)
    assert error.value.code == "subscription_exists"


def test_subscribing_follows_the_flattr_rules(thing):
    with pytest.raises(FlattrError) as error:
        subscription_create(donor=fund_user(thing.owner), thing=thing, months=3)
    assert error.value.code == "flattr_owner"
    with pytest.raises(FlattrError) as error:
        subscription_create(donor=make_user(), thing=thing, months=3)
    assert error.value.code == "no_means"


def _subscribe(donor, thing, first, months):
    last = first
    for _ in range(months - 1):
        last = month_next(last)
    return Subscription.objects.create(
        donor=donor, thing=thing, months=months, first_month=first, last_month=last
    )


def test_renewal_creates_each_running_subscriptions_flattr_once(donor):
    this_month = month_start()
    last_month = month_start(this_month - dt.timedelta(days=1))
    running = [make_thing() for _ in range(3)]
    for thing in running:
        _subscribe(donor, thing, last_month, 3)
    ended = _subscribe(donor, make_thing(), month_start(last_month - dt.timedelta(days=1)), 3)
    ended.last_month = last_month
    ended.save()
    cancelled = _subscribe(donor, make_thing(), last_month, 12)
    cancelled.cancelled_at = timezone.now()
    cancelled.save()

    assert subscriptions_renew() == 3
    assert subscriptions_renew() == 0  # idempotent: the second run finds everything done

    flattrs = Flattr.objects.filter(donor=donor, month=this_month)
    assert sorted(f.thing_id for f in flattrs) == sorted(t.pk for t in running)
    assert {f.source for f in flattrs} == {"subscription"}
    assert all(t.last_flattr_at for t in Thing.objects.filter(pk__in=[t.pk for t in running]))


def test_renewal_skips_closed_things_and_donors_who_stopped_giving():
    month = month_start()
    quitter = fund_user(make_user(), budget_cents=0)
    giver = fund_user(make_user())
    closed = make_thing()
    Thing.objects.filter(pk=closed.pk).update(closed=True)
    visible = make_thing()
    _subscribe(quitter, visible, month, 3)
    _subscribe(giver, closed, month, 3)
    _subscribe(giver, visible, month, 3)

    assert subscriptions_renew() == 1
    assert list(Flattr.objects.values_list("donor_id", "thing_id")) == [(giver.pk, visible.pk)]


def test_renewal_flattrs_hidden_things_which_are_only_unlisted():
    giver = fund_user(make_user())
    unlisted = make_thing(hidden=True)
    _subscribe(giver, unlisted, month_start(), 3)
    assert subscriptions_renew() == 1


def test_renewal_keeps_the_donors_own_click_and_adds_nothing(donor, thing):
    from flattr.services import flattr_add

    flattr_add(donor=donor, thing=thing)
    _subscribe(donor, thing, month_start(), 6)
    assert subscriptions_renew() == 0
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1


def test_renewal_for_a_given_month(donor, thing):
    next_month = month_next(month_start())
    _subscribe(donor, thing, month_start(), 3)
    assert subscriptions_renew(month=next_month + dt.timedelta(days=14)) == 1
    assert Flattr.objects.get().month == next_month


def test_the_beat_task_is_a_thin_wrapper(donor, thing):
    _subscribe(donor, thing, month_start(), 3)
    assert renew_task.delay().get() == 1


def test_cancelling_stops_future_renewals_but_keeps_this_months_flattr(donor, thing):
    subscription = subscription_create(donor=donor, thing=thing, months=3)
    subscription_cancel(donor=donor, subscription_id=subscription.pk)
    assert subscriptions_renew(month=month_next(month_start())) == 0
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1
    with pytest.raises(FlattrError):
        subscription_cancel(donor=donor, subscription_id=subscription.pk)


def test_only_the_donor_cancels_their_subscription(donor, thing):
    subscription = subscription_create(donor=donor, thing=thing, months=3)
    with pytest.raises(FlattrError) as error:
        subscription_cancel(donor=make_user(), subscription_id=subscription.pk)
    assert error.value.code == "not_found"


def test_a_frozen_donor_gets_no_renewal(donor, thing):
    from payments.models import LedgerAccount, Transfer
    from payments.services import system_account, transfer_post, user_account

    _subscribe(donor, thing, month_start(), 3)
    transfer_post(
        key="debt",
        kind=Transfer.Kind.DISPUTE,
        debit=user_account(donor, "receivable"),
        credit=system_account(LedgerAccount.Kind.STRIPE),
        amount_cents=50,
    )
    assert subscriptions_renew() == 0
    assert Budget.objects.filter(user=donor).exists()
