"""Claims without the platform's sign-in: a one-time code in the public profile, checked over
real HTTP against the fake GitHub and a fake Mastodon instance. The right code binds; a wrong,
reused or expired one binds nothing; an admin can verify by hand with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from payments.models import Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.factories import make_user
from tests.twitter_claims.journeys import make_donor, payday_for
from twitter_claims.models import PlatformAccount, ProofCode
from twitter_claims.services.proofs import proof_code_verify_by_hand, proof_codes_check

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 1)


def held_for(path: str, account: str, count: int = 2) -> PlatformAccount:
    for _ in range(count):
        donor = Client()
        donor.force_login(make_donor(budget=1000, funds=5000))
        assert donor.post(path, {"account": account}).status_code == 302
    payday_for(MARCH)
    return PlatformAccount.objects.select_related("pool").get()


def ask_for_code(client: Client, provider: str, account: str) -> ProofCode:
    response = client.post(f"/{provider}/-/prove/", {"account": account})
    assert response.status_code == 302, response.content
    code = ProofCode.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    page = client.get(response["Location"]).content.decode()
    assert code.code in page and "Check now" in page
    return code


def test_the_right_code_in_a_github_bio_binds_and_moves_exactly_the_pool(client, fake_github):
    account = held_for("/github/-/flattr/", "octocat")
    owner = make_user()
    client.force_login(owner)
    code = ask_for_code(client, "github", "octocat")
    # Not there yet: checking binds nothing.
    client.post(f"/github/-/prove/{code.pk}/")
    assert "did not find the code" in client.get(f"/github/-/prove/{code.pk}/").content.decode()
    fake_github.admin("users", id="583231", login="octocat", bio=f"I make things. {code.code}")
    client.post(f"/github/-/prove/{code.pk}/")
    account.refresh_from_db()
    assert account.claimed_by == owner
    assert balances_for_user(owner)["earnings"] == 2 * 900
    assert Transfer.objects.get(kind="claim").amount == 2 * 900
    assert "the account is yours now" in client.get(f"/github/-/prove/{code.pk}/").content.decode()
    assert ledger_check() == []


def test_a_wrong_reused_or_expired_code_binds_nothing(client, fake_mastodon):
    account = held_for("/mastodon/-/flattr/", "@anna@one.example")
    owner, other = make_user(), make_user()
    client.force_login(owner)
    code = ask_for_code(client, "mastodon", "anna@one.example")
    fake_mastodon["one.example"].admin(
        "users", id="109", username="anna", note="flattr-0000000000000000"
    )
    assert proof_codes_check()["absent"] == 1  # a wrong code
    # Expired: the right code, but too late.
    ProofCode.objects.filter(pk=code.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    fake_mastodon["one.example"].admin("users", id="109", username="anna", note=code.code)
    assert proof_codes_check() == {"bound": 0, "absent": 0, "stale": 1, "unavailable": 0}
    assert ProofCode.objects.get(pk=code.pk).state == "expired"
    # A newer code replaces the older; the old one, even in the profile, binds nothing.
    first = ask_for_code(client, "mastodon", "anna@one.example")
    second = ask_for_code(client, "mastodon", "anna@one.example")
    fake_mastodon["one.example"].admin("users", id="109", username="anna", note=first.code)
    assert proof_codes_check()["absent"] == 1
    assert ProofCode.objects.get(pk=first.pk).state == "revoked"
    account.refresh_from_db()
    assert account.claimed_by is None and account.pool.balance == 2 * 900
    # The right code binds once; reused by someone else it binds nothing more.
    fake_mastodon["one.example"].admin("users", id="109", username="anna", note=second.code)
    assert proof_codes_check()["bound"] == 1
    intruder = Client()
    intruder.force_login(other)
    assert intruder.get(f"/mastodon/-/prove/{second.pk}/").status_code == 404
    assert proof_codes_check()["bound"] == 0
    account.refresh_from_db()
    assert account.claimed_by == owner
    assert Transfer.objects.filter(kind="claim").count() == 1


def test_an_admin_verifies_by_hand_only_with_a_reason_which_is_kept(client, fake_github):
    account = held_for("/github/-/flattr/", "hubot", count=1)
    owner, admin = make_user(), make_user(is_staff=True)
    client.force_login(owner)
    code = ask_for_code(client, "github", "hubot")
    from flattr.errors import FlattrError

    with pytest.raises(FlattrError):
        proof_code_verify_by_hand(code_id=code.pk, admin=admin, reason="  ")
    proof_code_verify_by_hand(code_id=code.pk, admin=admin, reason="Saw the code in a video call")
    code.refresh_from_db()
    assert (code.state, code.verified_by, code.reason) == (
        "used",
        admin,
        "Saw the code in a video call",
    )
    account.refresh_from_db()
    assert account.claimed_by == owner and account.pool.balance == 0
