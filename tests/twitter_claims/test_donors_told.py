"""Donors are told when an account they supported joins, on every platform: through the real
claim flow (OAuth round trip or a bio code) against each fake, the emails in mail.outbox name the
account, its platform and what each donor gave that was held; a donor of another account (the
same name on another instance), the claimer and donors who turned email off hear nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client

from payments.selectors import ledger_check
from tests.factories import make_user
from tests.twitter_claims.conftest import (
    facebook_round_trip,
    mastodon_round_trip,
    provider_round_trip,
)
from tests.twitter_claims.journeys import make_donor, payday_for
from twitter_claims.models import PlatformAccount, ProofCode

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 1)


def flattr(path: str, account: str, donors: list) -> list:
    for donor in donors:
        client = Client()
        client.force_login(donor)
        response = client.post(path, {"account": account})
        assert response.status_code == 302, response.content
    return donors


def donors(count: int, **fields) -> list:
    return [make_donor(budget=1000, funds=5000, **fields) for _ in range(count)]


def joined_mails(label: str) -> dict[str, object]:
    told = {m.to[0]: m for m in mail.outbox if f"{label} joined Flattr" in m.subject}
    assert len(told) == len([m for m in mail.outbox if f"{label} joined Flattr" in m.subject])
    return told


def test_github_donors_are_told_with_what_they_gave_and_a_pending_donor_too(
    client, fake_github, django_capture_on_commit_callbacks
):
    held = flattr("/github/-/flattr/", "octocat", donors(2))
    quiet = flattr("/github/-/flattr/", "octocat", donors(1, email_notifications=False))
    payday_for(MARCH)
    late = flattr("/github/-/flattr/", "octocat", donors(1))  # this month's: not split yet
    other = flattr("/github/-/flattr/", "hubot", donors(1))  # another account's donor
    mail.outbox.clear()
    owner = make_user()
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        done = provider_round_trip(client, fake_github, "github", as_user="583231")
    assert done["Location"] == "/github/-/welcome/"
    told = joined_mails("@octocat")
    assert set(told) == {d.email for d in held + late}
    assert not {d.email for d in quiet + other + [owner]} & {m.to[0] for m in mail.outbox}
    body = told[held[0].email].body
    assert "whom you flattred on GitHub" in body and "€9.00 of it came from you" in body
    assert "/github/octocat/" in body
    assert "came from you" not in told[late[0].email].body  # nothing of theirs was held
    assert ledger_check() == []


def test_mastodon_donors_are_told_per_instance(
    client, fake_mastodon, django_capture_on_commit_callbacks
):
    on_two = flattr("/mastodon/-/flattr/", "@anna@two.example", donors(2))
    on_one = flattr("/mastodon/-/flattr/", "@anna@one.example", donors(1))
    payday_for(MARCH)
    mail.outbox.clear()
    client.force_login(make_user())
    with django_capture_on_commit_callbacks(execute=True):
        done = mastodon_round_trip(
            client, fake_mastodon["two.example"], "two.example", as_user="109"
        )
    assert done["Location"] == "/mastodon/-/welcome/"
    told = joined_mails("@anna@two.example")
    assert set(told) == {d.email for d in on_two}
    assert on_one[0].email not in {m.to[0] for m in mail.outbox}
    body = told[on_two[0].email].body
    assert "whom you flattred on Mastodon" in body and "€9.00 of it came from you" in body
    assert "/mastodon/anna@two.example/" in body
    assert ledger_check() == []


def test_facebook_donors_are_told_even_when_only_pending_flattrs_wait(
    client, fake_facebook, django_capture_on_commit_callbacks
):
    pending = flattr("/facebook/-/flattr/", "bakery.berlin", donors(2))
    mail.outbox.clear()
    client.force_login(make_user())
    with django_capture_on_commit_callbacks(execute=True):
        done = facebook_round_trip(client, fake_facebook, "777001", as_user="501")
    assert done["Location"] == "/facebook/-/welcome/"
    told = joined_mails("bakery.berlin")
    assert set(told) == {d.email for d in pending}
    assert "whom you flattred on Facebook" in told[pending[0].email].body
    assert ledger_check() == []


def test_a_donor_who_claims_the_account_is_not_told_about_themselves(
    fake_github, django_capture_on_commit_callbacks
):
    first, owner = donors(2)
    flattr("/github/-/flattr/", "hubot", [first, owner])
    payday_for(MARCH)
    mail.outbox.clear()
    client = Client()
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        provider_round_trip(client, fake_github, "github", as_user="9919")
    assert PlatformAccount.objects.get(user_id="9919").claimed_by == owner
    assert set(joined_mails("@hubot")) == {first.email}
    assert ledger_check() == []


def test_a_bio_code_claim_tells_the_donors_too(
    client, fake_mastodon, django_capture_on_commit_callbacks
):
    from twitter_claims.services.proofs import proof_codes_check

    held = flattr("/mastodon/-/flattr/", "@ben@one.example", donors(2))
    payday_for(MARCH)
    client.force_login(make_user())
    response = client.post("/mastodon/-/prove/", {"account": "ben@one.example"})
    code = ProofCode.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    fake_mastodon["one.example"].admin("users", id="110", username="ben", note=code.code)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert proof_codes_check()["bound"] == 1
    assert set(joined_mails("@ben@one.example")) == {d.email for d in held}
    assert ledger_check() == []
