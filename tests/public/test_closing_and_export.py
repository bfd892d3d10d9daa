"""Your data and closing an account, walked through end to end."""

import datetime as dt
import io
import json
import re
import zipfile

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from flattr.closing import accounts_erase_due
from flattr.models import Flattr, Thing
from flattr.selectors import month_start
from flattr.services import flattr_add
from payments.models import LedgerAccount, Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.factories import fund_user, make_thing, make_user
from tests.payments.payday_data import fund

pytestmark = pytest.mark.django_db


def test_the_data_export_is_built_by_the_task_mailed_and_downloaded_by_its_owner_only(
    client, django_capture_on_commit_callbacks
):
    user = fund_user(make_user(username="anna", display_name="Anna A."), funds_cents=1500)
    thing = make_thing(owner=user, title="Anna's honey blog")
    flattr_add(donor=user, thing=make_thing())
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("data_export"))

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/data/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    for section in ("profile", "things", "flattrs", "statements", "deposits", "payouts",
                    "connected_accounts"):  # fmt: skip
        assert {f"{section}.json", f"{section}.csv"} <= names
    assert json.loads(archive.read("profile.json"))[0]["display_name"] == "Anna A."
    assert json.loads(archive.read("things.json"))[0]["title"] == thing.title
    assert len(json.loads(archive.read("flattrs.json"))) == 1
    assert json.loads(archive.read("statements.json"))[0]["funds_cents"] == 1500
    client.force_login(make_user())
    assert client.get("/" + path).status_code == 404


def test_closing_settles_the_money_stops_the_things_and_erases_after_the_grace_period(client):
    user = fund_user(make_user(username="leaving", display_name="Lea Ving"), funds_cents=1200)
    fund(user, earnings=800)
    mine = make_thing(owner=user, title="Lea's podcast")
    donor = fund_user(make_user())
    flattr_add(donor=donor, thing=mine)  # pending: must never reach payday
    flattr_add(donor=user, thing=make_thing())  # the user's own pending flattr
    client.force_login(user)

    page = client.get(reverse("account_close"))
    assert "€12.00" in page.text and "€8.00" in page.text  # said plainly before confirming
    response = client.post(
        reverse("account_close_confirm"),
        {"funds": "charity", "earnings": "forfeit", "confirm": "yes"},
    )

    assert response.status_code == 302
    assert balances_for_user(user) == {"funds": 0, "earnings": 0, "receivable": 0}
    charity = LedgerAccount.objects.get(kind="charity")
    assert charity.balance == 2000
    assert not Flattr.objects.filter(thing=mine).exists()
    assert not Flattr.objects.filter(donor=user).exists()
    mine.refresh_from_db()
    assert mine.hidden and mine.closed  # unlisted, and no new flattrs
    assert client.get(reverse("dashboard")).status_code == 302  # logged out
    assert accounts_erase_due() == 0  # still in the grace period

    User.objects.filter(pk=user.pk).update(
        closing_requested_at=timezone.now() - dt.timedelta(days=8)
    )
    assert accounts_erase_due() == 1

    user.refresh_from_db()
    assert user.username == f"closed-{user.pk}"
    assert (user.email, user.display_name, user.about, user.website) == ("", "", "", "")
    assert not user.has_usable_password() and not user.is_active
    assert Thing.objects.get(pk=mine.pk).title == "—"
    assert Transfer.objects.filter(key=f"close:{user.pk}:funds").exists()  # ledger rows kept
    assert ledger_check() == []
    assert client.get(reverse("profile", args=["leaving"])).status_code == 404


def test_closing_is_refused_without_the_confirmation_and_nothing_changes(client):
    user = fund_user(make_user(), funds_cents=500)
    client.force_login(user)

    client.post(reverse("account_close_confirm"), {"funds": "charity", "earnings": "forfeit"})

    assert balances_for_user(user)["funds"] == 500
    user.refresh_from_db()
    assert user.is_active and user.closing_requested_at is None


def test_flattring_a_closed_accounts_thing_is_refused(client):
    user = make_user()
    thing = make_thing(owner=user)
    client.force_login(user)
    client.post(reverse("account_close_confirm"), {"funds": "charity", "confirm": "yes"})
    donor = fund_user(make_user())

    client.force_login(donor)
    client.post(reverse("thing_flattr", args=[thing.pk]))

    assert not Flattr.objects.filter(thing=thing, month=month_start()).exists()


def test_the_export_mail_comes_in_the_users_language(django_capture_on_commit_callbacks, client):
    user = make_user(preferred_language="de")
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("data_export"))

    assert mail.outbox[0].subject.endswith("Deine Flattr-Daten sind bereit")
    assert "Hier kannst du sie herunterladen" in mail.outbox[0].body


def test_the_admin_shows_a_closing_account_in_german(admin_client):
    user = make_user(username="closing-one")
    User.objects.filter(pk=user.pk).update(closing_requested_at=timezone.now())

    page = admin_client.get(
        reverse("admin:accounts_user_change", args=[user.pk]), HTTP_ACCEPT_LANGUAGE="de"
    )

    assert page.status_code == 200
    assert "Schließung beantragt am" in page.text


def test_closing_pays_out_what_a_payout_can_take_and_forfeits_only_the_rest(client, settings):
    from payments.models import Payout, PayoutAccount
    from tests.payments.payouts_flow import give_earnings

    settings.NEW_RECIPIENT_HOLD_DAYS = 0  # nothing held: all earnings are payable
    user = make_user()
    give_earnings(user, 4000, key="closing-payout")
    PayoutAccount.objects.create(user=user, stripe_account_id="acct_closing", status="ready")
    client.force_login(user)

    page = client.get(reverse("account_close"))
    assert 'value="payout"' in page.text and "€40.00" in page.text
    client.post(
        reverse("account_close_confirm"),
        {"funds": "charity", "earnings": "payout", "confirm": "yes"},
    )

    payout = Payout.objects.get(user=user)
    assert payout.amount == 4000 and payout.status == Payout.Status.REQUESTED
    assert balances_for_user(user)["earnings"] == 4000  # kept for the payout's approval
    assert not LedgerAccount.objects.filter(kind="charity", balance__gt=0).exists()
    User.objects.filter(pk=user.pk).update(
        closing_requested_at=timezone.now() - dt.timedelta(days=8)
    )
    assert accounts_erase_due() == 1
    assert balances_for_user(user)["earnings"] == 4000  # the payout still goes ahead
    assert ledger_check() == []


def test_without_payout_details_closing_offers_only_forfeiting_and_says_why(client):
    user = make_user()
    fund(user, earnings=800)
    client.force_login(user)

    page = client.get(reverse("account_close"))

    assert 'value="payout"' not in page.text
    assert "You have not set up payouts." in page.text
