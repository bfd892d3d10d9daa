"""Handles: resolved to X's numeric ids, renames and recycled handles, profile URLs, and the
rules for flattrs kept against a handle X could not resolve."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from flattr.models import Flattr
from payments.models import Share, Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.factories import make_user
from tests.twitter_claims.conftest import oauth_round_trip
from tests.twitter_claims.journeys import donors_flattr, make_donor, payday_for
from twitter_claims import services
from twitter_claims.errors import TwitterError
from twitter_claims.models import HandleHistory, PendingHandle, PlatformAccount

pytestmark = pytest.mark.django_db

MARCH, APRIL = dt.date(2025, 3, 1), dt.date(2025, 4, 1)


def account(user_id: str) -> PlatformAccount:
    return PlatformAccount.objects.select_related("pool").get(user_id=user_id)


def test_a_renamed_account_keeps_its_pool_when_someone_else_takes_the_old_handle(client, fake_x):
    donors_flattr("bob", count=2)
    payday_for(MARCH)
    assert account("7").pool.balance == 1800

    fake_x.user_set("7", "bobby")  # @bob renames to @bobby …
    fake_x.user_set("8", "bob")  # … and someone else takes @bob
    cache.clear()  # the handle → id answer we cached has expired by the time of the next flattr
    donors_flattr("bob", count=1)
    payday_for(APRIL)

    assert account("7").pool.balance == 1800  # id 7's pool stays with id 7
    assert account("8").pool.balance == 900
    assert account("7").handle == "bobby"  # learned from X when @bob resolved to someone else
    history = set(
        HandleHistory.objects.filter(account__user_id="7").values_list("handle", flat=True)
    )
    assert history == {"bob", "bobby"}
    assert "€9.00" in client.get("/twitter/bob/").content.decode()
    assert "€18.00" in client.get("/twitter/bobby/").content.decode()

    # The new @bob signs in and gets only what was given to him; id 7 gets the rest.
    new_bob, old_bob = make_user(), make_user()
    client.force_login(new_bob)
    oauth_round_trip(client, fake_x, as_user="8", purpose="connect")
    client.force_login(old_bob)
    oauth_round_trip(client, fake_x, as_user="7", purpose="connect")
    assert balances_for_user(new_bob)["earnings"] == 900
    assert balances_for_user(old_bob)["earnings"] == 1800
    assert ledger_check() == []


def test_handles_are_matched_without_case_and_in_any_usual_spelling(fake_x):
    spellings = ["alice", "@Alice", "ALICE", " @alice ", "https://twitter.com/alice"]
    things = {services.thing_for_handle(spelling).pk for spelling in spellings}
    assert len(things) == 1
    assert PlatformAccount.objects.count() == 1


@pytest.mark.parametrize(
    ("url", "handle"),
    [
        ("https://twitter.com/alice", "alice"),
        ("https://x.com/alice/", "alice"),
        ("http://www.twitter.com/@alice?ref=x", "alice"),
        ("https://mobile.twitter.com/alice#top", "alice"),
        ("https://x.com/alice/status/123", None),
        ("https://x.com/home", None),
        ("https://x.com/i/user/42", None),
        ("https://example.org/alice", None),
        ("https://x.com.evil.example/alice", None),
        ("", None),
    ],
)
def test_profile_urls_name_an_account_and_other_urls_do_not(fake_x, url, handle):
    thing = services.thing_for_profile_url(url)
    if handle is None:
        assert thing is None
    else:
        assert thing.platform_account.handle == handle


def test_an_unknown_or_invalid_handle_is_refused_with_a_clear_message(client, fake_x):
    client.force_login(make_donor(budget=1000, funds=5000))
    unknown = client.post(reverse("twitter_claims:flattr"), {"handle": "nobody_here"}, follow=True)
    assert "There is no Twitter/X account with that handle" in unknown.content.decode()
    invalid = client.post(
        reverse("twitter_claims:flattr"), {"handle": "not a handle!"}, follow=True
    )
    assert "That is not a Twitter/X handle" in invalid.content.decode()
    with pytest.raises(TwitterError) as refused:
        services.thing_for_profile_url("https://x.com/nobody_here")
    assert refused.value.code == "unknown_handle"
    assert not Flattr.objects.exists()


def test_flattring_the_same_handle_twice_a_month_says_already_flattred(client, fake_x):
    donor = make_donor(budget=1000, funds=5000)
    donors_flattr("alice", donors=[donor])
    client.force_login(donor)
    again = client.post(reverse("twitter_claims:flattr"), {"handle": "@ALICE"}, follow=True)
    assert "You already flattred this" in again.content.decode()
    assert Flattr.objects.count() == 1


def test_the_owner_cannot_flattr_their_own_account(client, fake_x):
    owner = make_donor(budget=1000, funds=5000)
    client.force_login(owner)
    oauth_round_trip(client, fake_x, as_user="42", purpose="connect")
    response = client.post(reverse("twitter_claims:flattr"), {"handle": "alice"}, follow=True)
    assert "cannot flattr your own" in response.content.decode()


# ---- Flattrs kept against handles X could not resolve --------------------------------------


def flattr_during_outage(fake_x, handle: str, donors) -> PendingHandle:
    fake_x.mode("down")
    donors_flattr(handle, donors=donors)
    fake_x.mode("")
    return PendingHandle.objects.get(handle__iexact=handle, state="open")


def test_a_flattr_made_while_x_is_down_waits_and_binds_when_x_answers_in_time(client, fake_x):
    donor = make_donor(budget=1000, funds=5000)
    pending = flattr_during_outage(fake_x, "carol", [donor])
    assert Flattr.objects.get().thing_id == pending.thing_id
    assert "has not confirmed yet" in client.get("/twitter/carol/").content.decode()

    assert services.handles_resolve() == {"resolved": 1, "failed": 0, "waiting": 0}
    carol = account("1001")
    assert Flattr.objects.get().thing_id == carol.thing_id
    pending.refresh_from_db()
    assert (pending.state, pending.account) == ("resolved", carol)
    assert pending.thing.__class__.objects.get(pk=pending.thing_id).closed


def test_a_share_split_while_the_handle_was_unresolved_follows_the_flattr(fake_x):
    donor = make_donor(budget=1000, funds=5000)
    pending = flattr_during_outage(fake_x, "carol", [donor])
    payday_for(MARCH)  # payday holds the share in the pending handle's own pool
    share = Share.objects.get()
    assert (share.state, share.payee_id, share.amount) == ("held", pending.pool_id, 900)

    flattred_at = Flattr.objects.get().created_at
    services.handles_resolve(now=flattred_at + dt.timedelta(hours=71))
    share.refresh_from_db()
    carol = account("1001")
    assert (share.state, share.payee_id, share.thing_id) == ("held", carol.pool_id, carol.thing_id)
    assert carol.pool.balance == 900
    assert Transfer.objects.get(key=f"bind:{share.pk}").amount == 900
    pending.pool.refresh_from_db()
    assert pending.pool.balance == 0
    assert ledger_check() == []


def test_flattrs_older_than_the_bind_window_are_never_given_to_a_later_holder(
    fake_x, django_capture_on_commit_callbacks
):
    donor = make_donor(budget=1000, funds=5000)
    flattr_during_outage(fake_x, "carol", [donor])
    payday_for(MARCH)  # split and held in the pending handle's pool
    flattred_at = Flattr.objects.get().created_at
    funds_before = balances_for_user(donor)["funds"]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.handles_resolve(now=flattred_at + dt.timedelta(hours=73))
    assert outcome["resolved"] == 1
    share = Share.objects.get()
    assert share.state == "returned"
    assert balances_for_user(donor)["funds"] - funds_before == 900
    assert account("1001").pool.balance == 0  # @carol, who holds the handle now, gets nothing
    assert [m.to for m in mail.outbox] == [[donor.email]]
    assert "could not confirm in time" in mail.outbox[0].body
    assert ledger_check() == []


def test_a_pending_flattr_too_old_to_bind_is_cancelled_and_the_donor_told(
    fake_x, django_capture_on_commit_callbacks
):
    donor = make_donor(budget=1000, funds=5000)
    flattr_during_outage(fake_x, "carol", [donor])
    flattred_at = Flattr.objects.get().created_at
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.handles_resolve(now=flattred_at + dt.timedelta(hours=80))
    assert not Flattr.objects.exists()
    assert mail.outbox[0].to == [donor.email]
    assert "@carol" in mail.outbox[0].body


def test_a_handle_nobody_holds_releases_every_flattr_kept_for_it(fake_x):
    donor = make_donor(budget=1000, funds=5000)
    fake_x.mode("down")
    donors_flattr("ghost_handle", donors=[donor])
    fake_x.mode("")
    payday_for(MARCH)
    before = balances_for_user(donor)["funds"]
    assert services.handles_resolve() == {"resolved": 0, "failed": 1, "waiting": 0}
    assert PendingHandle.objects.get().state == "failed"
    assert balances_for_user(donor)["funds"] - before == 900
    assert not PlatformAccount.objects.exists()


def test_while_x_stays_silent_flattrs_wait_until_they_are_too_old(fake_x):
    donor = make_donor(budget=1000, funds=5000)
    pending = flattr_during_outage(fake_x, "carol", [donor])
    fake_x.mode("rate_limit")
    assert services.handles_resolve() == {"resolved": 0, "failed": 0, "waiting": 1}
    pending.refresh_from_db()
    assert (pending.state, pending.attempts) == ("open", 1)
    assert "rate" in pending.last_error
    assert Flattr.objects.count() == 1

    flattred_at = Flattr.objects.get().created_at
    services.handles_resolve(now=flattred_at + dt.timedelta(hours=100))
    assert not Flattr.objects.exists()  # released: it can never bind now


def test_a_donor_who_also_flattred_the_resolved_account_directly_keeps_one_flattr(fake_x):
    donor = make_donor(budget=1000, funds=5000)
    flattr_during_outage(fake_x, "carol", [donor])
    donors_flattr("carol", donors=[donor])  # X answers again: this one went to the account
    assert Flattr.objects.count() == 2
    services.handles_resolve()
    assert list(Flattr.objects.values_list("thing_id", flat=True)) == [account("1001").thing_id]
