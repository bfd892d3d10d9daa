"""Owner notices: one tweet from the service account when a pool crosses the threshold, not
again inside the cooldown, never after the owner opted out (proven by signing in with X)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from flattr.errors import FlattrError
from flattr.services import flattr_add
from tests.factories import make_user
from tests.twitter_claims.conftest import oauth_round_trip
from tests.twitter_claims.journeys import donors_flattr, make_donor, payday_for
from twitter_claims import services
from twitter_claims.models import OwnerNotice, PlatformAccount

pytestmark = pytest.mark.django_db

MARCH, APRIL, MAY = dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 5, 1)


def paydays(capture, *months_and_donors):
    """Run a payday per (month, donors) after those donors flattred @alice, executing what
    payday queues after commit (the notices task)."""
    for month, count in months_and_donors:
        donors_flattr("alice", count=count)
        with capture(execute=True):
            payday_for(month)


def age_notices(days: int) -> None:
    OwnerNotice.objects.update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))


def test_a_notice_is_posted_once_when_the_pool_crosses_the_threshold(
    fake_x, django_capture_on_commit_callbacks
):
    paydays(django_capture_on_commit_callbacks, (MARCH, 1))  # €9.00 from one donor: below
    assert fake_x.tweets() == []

    paydays(django_capture_on_commit_callbacks, (APRIL, 1))  # €18.00 from two donors: crossed
    tweets = fake_x.tweets()
    assert len(tweets) == 1
    assert tweets[0]["author_id"] == "1"  # the service account
    assert tweets[0]["text"].startswith("@alice: 2 people on Flattr sent you €18.00.")
    assert "€18.00" in tweets[0]["text"]
    assert "http://testserver/twitter/alice/" in tweets[0]["text"]
    assert len(tweets[0]["text"]) <= 280
    notice = OwnerNotice.objects.get()
    assert (notice.state, notice.pool_cents, notice.donors) == ("sent", 1800, 2)
    assert notice.tweet_id == tweets[0]["id"]

    assert services.notices_send() == 0  # running again posts nothing
    assert len(fake_x.tweets()) == 1


def test_no_notice_again_inside_the_cooldown_and_a_reminder_after_it_only_with_new_money(
    fake_x, django_capture_on_commit_callbacks
):
    paydays(django_capture_on_commit_callbacks, (MARCH, 2))
    assert len(fake_x.tweets()) == 1

    paydays(django_capture_on_commit_callbacks, (APRIL, 1))  # more money, inside the cooldown
    assert len(fake_x.tweets()) == 1

    age_notices(31)  # the cooldown passed, and the pool grew since the notice
    assert services.notices_send() == 1
    assert "€27.00" in fake_x.tweets()[-1]["text"]

    age_notices(31)  # the cooldown passed again, but no new money came
    assert services.notices_send() == 0
    assert len(fake_x.tweets()) == 2


def test_an_owner_who_opted_out_is_never_noticed(
    client, fake_x, django_capture_on_commit_callbacks
):
    paydays(django_capture_on_commit_callbacks, (MARCH, 1))
    page = client.get(reverse("twitter_claims:opt_out"))
    assert page.status_code == 200
    done = oauth_round_trip(client, fake_x, as_user="42", purpose="optout", choice="notices")
    assert done.status_code == 200
    assert "will not send @alice any more messages" in done.content.decode()
    account = PlatformAccount.objects.get(user_id="42")
    assert account.notices_opted_out and not account.flattrs_opted_out

    paydays(django_capture_on_commit_callbacks, (APRIL, 2))  # €27.00 from three donors
    age_notices(365)
    assert services.notices_send() == 0
    assert fake_x.tweets() == []


def test_opting_out_of_flattrs_refuses_new_flattrs_and_can_be_undone(client, fake_x):
    oauth_round_trip(client, fake_x, as_user="42", purpose="optout", choice="all")
    donor = make_donor(budget=1000, funds=5000)
    client.force_login(donor)
    response = client.post(reverse("twitter_claims:flattr"), {"handle": "alice"}, follow=True)
    assert "asked not to be flattred" in response.content.decode()
    thing = PlatformAccount.objects.get(user_id="42").thing
    assert not thing.flattrs.exists()
    with pytest.raises(FlattrError) as refused:  # by thing id, as the button's window does
        flattr_add(donor=donor, thing=thing)
    assert refused.value.code == "thing_hidden"

    client.logout()
    oauth_round_trip(client, fake_x, as_user="42", purpose="optout", choice="none")
    client.force_login(donor)
    client.post(reverse("twitter_claims:flattr"), {"handle": "alice"})
    assert PlatformAccount.objects.get(user_id="42").thing.flattrs.count() == 1


def test_opting_out_needs_the_owners_own_sign_in(client, fake_x):
    oauth_round_trip(client, fake_x, as_user="7", purpose="optout", choice="all")  # @bob
    assert PlatformAccount.objects.get(user_id="7").flattrs_opted_out
    assert not PlatformAccount.objects.filter(user_id="42", notices_opted_out=True).exists()


def test_an_opt_out_without_a_valid_choice_is_refused(client, fake_x):
    response = client.post(
        reverse("twitter_claims:start"), {"purpose": "optout", "choice": "everything"}
    )
    assert response.status_code == 400


def test_a_pool_from_a_single_donor_is_not_noticed_however_large(
    fake_x, django_capture_on_commit_callbacks
):
    big = make_donor(budget=10_000, funds=50_000)
    donors_flattr("alice", donors=[big])
    with django_capture_on_commit_callbacks(execute=True):
        payday_for(MARCH)
    assert PlatformAccount.objects.get(user_id="42").pool.balance == 9000
    assert fake_x.tweets() == []


def test_a_failed_post_is_recorded_and_retried_later(fake_x, settings):
    settings.TWITTER_NOTIFY_THRESHOLD_CENTS = 10**9
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    settings.TWITTER_NOTIFY_THRESHOLD_CENTS = 1000
    fake_x.mode("rate_limit")
    assert services.notices_send() == 0
    failed = OwnerNotice.objects.get()
    assert failed.state == "failed" and "rate" in failed.error

    fake_x.mode("")
    assert services.notices_send() == 1
    assert list(OwnerNotice.objects.order_by("pk").values_list("state", flat=True)) == [
        "failed",
        "sent",
    ]


def test_claimed_accounts_are_never_noticed(fake_x, settings):
    settings.TWITTER_NOTIFY_THRESHOLD_CENTS = 10**9
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    account = PlatformAccount.objects.get(user_id="42")
    services.pool_claim(account_id=account.pk, user=make_user())
    settings.TWITTER_NOTIFY_THRESHOLD_CENTS = 1
    assert services.notices_send() == 0
    assert fake_x.tweets() == []


def test_every_notice_is_visible_in_the_admin(admin_client, fake_x):
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    services.notices_send()
    notice = OwnerNotice.objects.get()
    listing = admin_client.get(reverse("admin:twitter_claims_ownernotice_changelist"))
    assert listing.status_code == 200
    assert "alice" in listing.content.decode()
    detail = admin_client.get(reverse("admin:twitter_claims_ownernotice_change", args=[notice.pk]))
    assert detail.status_code == 200
    account_page = admin_client.get(
        reverse("admin:twitter_claims_platformaccount_change", args=[notice.account_id])
    )
    assert notice.tweet_id in account_page.content.decode()
