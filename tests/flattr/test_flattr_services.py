"""Flattring: one click per donor, thing and month; refusals with stable codes."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from flattr.errors import FlattrError
from flattr.models import Flattr, Thing
from flattr.selectors import thing_flattr_count
from flattr.services import flattr_add, flattr_remove, flattr_via_auto_submit
from payments.models import Budget, LedgerAccount, Transfer
from payments.months import month_start
from payments.services import system_account, transfer_post, user_account
from tests.factories import fund_user, make_thing, make_user

pytestmark = pytest.mark.django_db


def test_a_donor_with_means_flattrs_a_thing_once_this_month(donor, thing):
    flattr = flattr_add(donor=donor, thing=thing)

    assert flattr.pk and flattr.month == month_start()
    assert flattr.month.day == 1
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1
    thing.refresh_from_db()
    assert thing.last_flattr_at is not None


def test_a_second_flattr_in_the_same_month_says_already_flattred_naming_the_month(donor, thing):
    flattr_add(donor=donor, thing=thing)
    with translation.override("en"), pytest.raises(FlattrError) as error:
        flattr_add(donor=donor, thing=thing)
    assert error.value.code == "flattr_once"
    month_name = timezone.now().strftime("%B")
    assert error.value.message == f"You already flattred this in {month_name}."
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1


def test_the_refusal_is_in_german_for_german_readers(donor, thing):
    flattr_add(donor=donor, thing=thing)
    with translation.override("de"), pytest.raises(FlattrError) as error:
        flattr_add(donor=donor, thing=thing)
    assert error.value.message.startswith("Du hast das im")


def test_the_same_thing_can_be_flattred_again_next_month(donor, thing):
    Flattr.objects.create(donor=donor, thing=thing, month=dt.date(2020, 1, 1))
    flattr_add(donor=donor, thing=thing)
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 2


def test_nobody_flattrs_their_own_thing(thing):
    fund_user(thing.owner)
    with pytest.raises(FlattrError) as error:
        flattr_add(donor=thing.owner, thing=thing)
    assert error.value.code == "flattr_owner"


def test_a_thing_paying_into_the_donors_earnings_counts_as_their_own(donor):
    """A claimed Twitter account's thing has no owner but pays into the claimer's earnings."""
    thing = Thing.objects.create(
        owner=None,
        payee=user_account(donor, "earnings"),
        url="https://twitter.com/anna",
        title="@anna on X",
    )
    with pytest.raises(FlattrError) as error:
        flattr_add(donor=donor, thing=thing)
    assert error.value.code == "flattr_owner"


def test_a_donor_without_a_budget_has_no_means(thing):
    donor = fund_user(make_user(), budget_cents=0)
    with pytest.raises(FlattrError) as error:
        flattr_add(donor=donor, thing=thing)
    assert error.value.code == "no_means"
    assert not Flattr.objects.exists()


def test_a_donor_with_an_empty_wallet_has_no_means(thing):
    donor = fund_user(make_user(), budget_cents=500, funds_cents=0)
    with pytest.raises(FlattrError) as error:
        flattr_add(donor=donor, thing=thing)
    assert error.value.code == "no_means"


def test_earnings_count_as_means_only_when_the_donor_opted_in(thing):
    donor = fund_user(make_user(), budget_cents=500, funds_cents=0)
    transfer_post(
        key="earned",
        kind=Transfer.Kind.ADJUSTMENT,
        debit=system_account(LedgerAccount.Kind.STRIPE),
        credit=user_account(donor, "earnings"),
        amount_cents=300,
    )
    with pytest.raises(FlattrError):
        flattr_add(donor=donor, thing=thing)
    Budget.objects.filter(user=donor).update(use_earnings=True)
    assert flattr_add(donor=donor, thing=thing).pk


def test_a_frozen_account_cannot_flattr(donor, thing):
    transfer_post(
        key="dispute-debt",
        kind=Transfer.Kind.DISPUTE,
        debit=user_account(donor, "receivable"),
        credit=system_account(LedgerAccount.Kind.STRIPE),
        amount_cents=100,
    )
    with pytest.raises(FlattrError) as error:
        flattr_add(donor=donor, thing=thing)
    assert error.value.code == "account_frozen"


@pytest.mark.parametrize("field", ["closed", "banned"])
def test_closed_or_banned_things_cannot_be_flattred(donor, thing, field):
    Thing.objects.filter(pk=thing.pk).update(**{field: True})
    with pytest.raises(FlattrError) as error:
        flattr_add(donor=donor, thing=thing)
    assert error.value.code == "thing_hidden"


def test_hidden_things_are_flattrable_as_on_flattr_where_hidden_meant_unlisted(donor, thing):
    Thing.objects.filter(pk=thing.pk).update(hidden=True)
    flattr = flattr_add(donor=donor, thing=thing)
    assert flattr.thing_id == thing.pk


def test_an_unknown_source_is_a_programming_error(donor, thing):
    with pytest.raises(ValueError):
        flattr_add(donor=donor, thing=thing, source="carrier-pigeon")


def test_a_flattr_can_be_removed_during_its_month(donor, thing, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        flattr = flattr_add(donor=donor, thing=thing)
    assert thing_flattr_count(thing.pk) == 1

    with django_capture_on_commit_callbacks(execute=True):
        flattr_remove(donor=donor, flattr_id=flattr.pk)

    assert not Flattr.objects.exists()
    assert thing_flattr_count(thing.pk) == 0


def test_a_flattr_of_a_closed_month_cannot_be_removed(donor, thing):
    old = Flattr.objects.create(donor=donor, thing=thing, month=dt.date(2020, 1, 1))
    with pytest.raises(FlattrError) as error:
        flattr_remove(donor=donor, flattr_id=old.pk)
    assert error.value.code == "flattr_closed"
    assert Flattr.objects.filter(pk=old.pk).exists()


def test_only_the_donor_can_remove_their_flattr(donor, thing):
    flattr = flattr_add(donor=donor, thing=thing)
    other = make_user()
    with pytest.raises(FlattrError) as error:
        flattr_remove(donor=other, flattr_id=flattr.pk)
    assert error.value.code == "not_found"
    with pytest.raises(FlattrError):
        flattr_remove(donor=donor, flattr_id=flattr.pk + 1000)
    assert Flattr.objects.filter(pk=flattr.pk).exists()


def test_removing_then_flattring_again_is_allowed(donor, thing):
    flattr_remove(donor=donor, flattr_id=flattr_add(donor=donor, thing=thing).pk)
    assert flattr_add(donor=donor, thing=thing).pk


def test_the_first_flattr_from_an_auto_submit_link_creates_the_thing(donor, publisher):
    flattr = flattr_via_auto_submit(
        donor=donor,
        owner=publisher,
        url="HTTPS://Pat.Example.org:443/new-post",
        title="A new post",
        tags="Music, live",
    )
    thing = flattr.thing
    assert thing.url == "https://pat.example.org/new-post"
    assert thing.owner == publisher
    assert thing.tags == ["music", "live"]
    assert thing.payee == user_account(publisher, "earnings")


def test_a_refused_first_flattr_creates_no_thing(publisher):
    poor = fund_user(make_user(), budget_cents=0)
    with pytest.raises(FlattrError):
        flattr_via_auto_submit(
            donor=poor, owner=publisher, url="https://pat.example.org/x", title="Some title"
        )
    assert not Thing.objects.filter(url="https://pat.example.org/x").exists()


def test_auto_submit_finds_the_existing_thing_by_normalized_url(donor, thing):
    flattr = flattr_via_auto_submit(
        donor=donor, owner=thing.owner, url="https://PAT.example.org/post-1", title="Other title"
    )
    assert flattr.thing.pk == thing.pk
    assert Thing.objects.count() == 1
    thing.refresh_from_db()
    assert thing.title == "Pat's first post"


def test_things_of_two_owners_may_share_a_url(donor):
    a = make_thing(url="https://shared.example.org/")
    b = make_thing(url="https://shared.example.org/")
    flattr_add(donor=donor, thing=a)
    flattr_add(donor=donor, thing=b)
    assert Flattr.objects.filter(donor=donor).count() == 2
