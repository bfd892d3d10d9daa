"""Claiming a held pool by signing in with Twitter: every journey through real HTTP against the
fake X provider, on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from flattr.models import Thing
from payments.models import LedgerAccount, Share, Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.factories import make_user
from tests.twitter_claims.conftest import local, oauth_round_trip, oauth_start
from tests.twitter_claims.journeys import donors_flattr, payday_for
from twitter_claims import services, x_gateway
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db

MARCH, APRIL = dt.date(2025, 3, 1), dt.date(2025, 4, 1)


def alice() -> PlatformAccount:
    return PlatformAccount.objects.select_related("pool", "thing").get(user_id="42")


def test_three_donors_fill_alices_pool_and_she_claims_exactly_the_pool(
    client, fake_x, django_capture_on_commit_callbacks
):
    donors = donors_flattr("alice", count=3)
    with django_capture_on_commit_callbacks(execute=True):
        payday_for(MARCH)
    account = alice()
    assert account.pool.balance == 3 * 900  # each €10 budget, minus the 10 % fee, to one flattr
    assert Share.objects.filter(payee=account.pool, state="held").count() == 3

    # The claim link lands on the account page, which shows what is held.
    page = client.get(reverse("twitter_claims:account", args=["alice"]))
    assert page.status_code == 200
    assert "€27.00" in page.content.decode()
    mail.outbox.clear()

    # Alice signs in with Twitter (as id 42) and creates her account in one short step.
    callback = oauth_round_trip(client, fake_x, as_user="42", purpose="claim")
    assert callback.status_code == 302
    assert callback["Location"] == reverse("twitter_claims:finish")
    step = client.get(reverse("twitter_claims:finish"))
    assert step.status_code == 200
    assert 'value="alice"' in step.content.decode()  # the username is suggested from the handle
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("twitter_claims:finish"), {"username": "alice", "email": "alice@example.org"}
        )
    assert done.status_code == 302
    assert done["Location"] == reverse("twitter_claims:welcome")

    user = User.objects.get(username="alice")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert not user.has_usable_password()
    assert balances_for_user(user)["earnings"] == 2700
    account = alice()
    assert account.pool.balance == 0
    assert account.claimed_by == user
    claim = Transfer.objects.get(kind=Transfer.Kind.CLAIM)
    assert (claim.key, claim.amount) == (f"claim:{account.pk}:1", 2700)
    assert set(Share.objects.values_list("state", flat=True)) == {"claimed"}
    assert Thing.objects.get(pk=account.thing_id).payee == LedgerAccount.objects.get(
        user=user, kind="earnings"
    )
    assert ledger_check() == []

    # Every donor heard that @alice joined; alice got allauth's confirmation email.
    joined = [m for m in mail.outbox if "@alice joined Flattr" in m.subject]
    assert sorted(m.to[0] for m in joined) == sorted(d.email for d in donors)
    assert all("€9.00" in m.body for m in joined)
    assert any(m.to == ["alice@example.org"] and "/accounts/" in m.body for m in mail.outbox)
    assert EmailAddress.objects.get(user=user).verified is False

    welcome = client.get(reverse("twitter_claims:welcome"))
    assert "€27.00" in welcome.content.decode()


def test_later_shares_go_straight_to_the_owners_earnings(
    client, fake_x, django_capture_on_commit_callbacks
):
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    owner = make_user(username="alice_owner")
    client.force_login(owner)
    oauth_round_trip(client, fake_x, as_user="42", purpose="connect")
    assert balances_for_user(owner)["earnings"] == 1800

    donors_flattr("alice", count=1)
    payday_for(APRIL)
    assert balances_for_user(owner)["earnings"] == 2700
    assert alice().pool.balance == 0
    assert Share.objects.get(month=APRIL).state == "paid"


def test_a_signed_in_user_connects_twitter_from_settings(client, fake_x):
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    owner = make_user()
    client.force_login(owner)
    settings_page = client.get(reverse("twitter_claims:connected"))
    assert "Connect Twitter/X" in settings_page.content.decode()

    response = oauth_round_trip(client, fake_x, as_user="42", purpose="connect")
    assert response["Location"] == reverse("twitter_claims:welcome")
    assert alice().claimed_by == owner
    assert balances_for_user(owner)["earnings"] == 1800
    assert "@alice" in client.get(reverse("twitter_claims:connected")).content.decode()


def test_a_linked_x_account_logs_in_its_user_and_no_other(client, fake_x):
    owner = make_user(username="alice_owner")
    make_user(username="someone_else")
    client.force_login(owner)
    oauth_round_trip(client, fake_x, as_user="42", purpose="connect")
    client.logout()

    response = oauth_round_trip(client, fake_x, as_user="42", purpose="login")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)
    assert User.objects.count() == 2  # no new account was made

    client.logout()
    oauth_round_trip(client, fake_x, as_user="7", purpose="login")  # @bob is linked to nobody
    assert "_auth_user_id" not in client.session


def test_an_existing_user_logs_in_from_the_account_step_and_connects(client, fake_x):
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    existing = make_user(username="alice_old")
    oauth_round_trip(client, fake_x, as_user="42", purpose="claim")
    # On the account step she chooses "log in and connect it" instead of a new account.
    client.force_login(existing)
    confirm = client.get(reverse("twitter_claims:finish"))
    assert "Connect @alice?" in confirm.content.decode()
    response = client.post(reverse("twitter_claims:finish"))
    assert response["Location"] == reverse("twitter_claims:welcome")
    assert alice().claimed_by == existing
    assert balances_for_user(existing)["earnings"] == 1800


def test_the_account_step_refuses_a_taken_email_and_keeps_the_input(client, fake_x):
    make_user(username="taken", email="taken@example.org")
    oauth_round_trip(client, fake_x, as_user="42", purpose="claim")
    response = client.post(
        reverse("twitter_claims:finish"), {"username": "alice", "email": "TAKEN@example.org"}
    )
    assert response.status_code == 200
    assert "belongs to a Flattr account already" in response.content.decode()
    assert 'value="alice"' in response.content.decode()
    assert not PlatformAccount.objects.filter(claimed_by__isnull=False).exists()


def test_the_account_step_without_a_fresh_twitter_sign_in_is_refused(client, fake_x, settings):
    response = client.get(reverse("twitter_claims:finish"))
    assert response.status_code == 400
    oauth_round_trip(client, fake_x, as_user="42", purpose="claim")
    settings.TWITTER_OAUTH_MAX_AGE_SECONDS = -1  # the proof is now too old
    response = client.post(
        reverse("twitter_claims:finish"), {"username": "alice", "email": "a@example.org"}
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="alice").exists()


def test_one_flattr_user_cannot_hold_two_x_accounts(client, fake_x):
    owner = make_user()
    client.force_login(owner)
    oauth_round_trip(client, fake_x, as_user="42", purpose="connect")
    response = oauth_round_trip(client, fake_x, as_user="7", purpose="connect")
    assert response.status_code == 409
    assert "already linked to a different" in response.content.decode()
    assert not PlatformAccount.objects.filter(user_id="7", claimed_by__isnull=False).exists()


def test_a_signed_in_user_cannot_take_an_x_account_linked_to_someone_else(client, fake_x):
    first, second = make_user(), make_user()
    client.force_login(first)
    oauth_round_trip(client, fake_x, as_user="42", purpose="connect")
    client.force_login(second)
    response = oauth_round_trip(client, fake_x, as_user="42", purpose="connect")
    assert response.status_code == 409
    assert alice().claimed_by == first


def test_signing_in_as_someone_else_than_the_page_binds_only_your_own_account(client, fake_x):
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    bob_owner = make_user()
    client.force_login(bob_owner)
    client.get(reverse("twitter_claims:account", args=["alice"]))
    oauth_round_trip(client, fake_x, as_user="7", purpose="claim")  # @bob presses alice's button
    assert alice().claimed_by is None
    assert alice().pool.balance == 1800
    assert PlatformAccount.objects.get(user_id="7").claimed_by == bob_owner
    assert balances_for_user(bob_owner)["earnings"] == 0


def test_money_a_racing_payday_left_in_a_claimed_pool_is_swept_to_the_owner(fake_x):
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    owner = make_user()
    account = services.account_for_x_user(x_user=x_gateway.XUser(id="42", username="alice"))
    services.pool_claim(account_id=account.pk, user=owner)
    # A payday that read the thing's payee before the claim committed credits the pool.
    donors_flattr("alice", count=1)
    Thing.objects.filter(pk=account.thing_id).update(payee=account.pool)
    payday_for(APRIL)
    Thing.objects.filter(pk=account.thing_id).update(
        payee=LedgerAccount.objects.get(user=owner, kind="earnings")
    )
    assert alice().pool.balance == 900

    assert services.pools_sweep_claimed() == 1
    assert alice().pool.balance == 0
    assert balances_for_user(owner)["earnings"] == 2700
    keys = sorted(Transfer.objects.filter(kind="claim").values_list("key", flat=True))
    assert keys == [f"claim:{account.pk}:1", f"claim:{account.pk}:2"]
    assert services.pools_sweep_claimed() == 0


def test_claiming_twice_changes_nothing(fake_x):
    donors_flattr("alice", count=2)
    payday_for(MARCH)
    owner = make_user()
    account = services.account_for_x_user(x_user=x_gateway.XUser(id="42", username="alice"))
    first = services.pool_claim(account_id=account.pk, user=owner)
    again = services.pool_claim(account_id=account.pk, user=owner)
    assert (first.amount_cents, again.amount_cents, again.already) == (1800, 0, True)
    assert Transfer.objects.filter(kind="claim").count() == 1


def test_the_start_button_is_post_only_and_names_a_known_purpose(client, fake_x):
    assert client.get(reverse("twitter_claims:start")).status_code == 405
    assert client.post(reverse("twitter_claims:start"), {"purpose": "steal"}).status_code == 400
    url = oauth_start(client, purpose="claim")
    assert url.startswith(fake_x.base + "/i/oauth2/authorize?")
    assert "code_challenge_method=S256" in url
    assert local(url)  # an absolute URL on the fake X
