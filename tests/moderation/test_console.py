"""The support page finds a user from anything an operator has and acts through services with
a reason; the home panel shows the kept ledger check, red and mailed when it finds anything."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import AdminAction
from flattr.models import Thing
from payments.ledger_watch import ledger_check_last
from payments.models import LedgerAccount, Share
from payments.payday import payday_run
from payments.services import system_account, user_account
from tests.factories import make_user
from tests.payments.payday_data import MONTH, balance, make_donor, make_flattr, make_thing
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db
SUPPORT = reverse("console:support")
Kind = LedgerAccount.Kind


@pytest.fixture
def operator(client):
    user = make_user(username="operator", email="ops@flattr.example", is_staff=True)
    user.is_superuser = True
    user.save()
    client.force_login(user)
    return user


def action_url(user, action: str) -> str:
    return reverse("console:user_action", args=[user.pk, action])


@pytest.fixture
def dora():
    user = make_user(username="dora", email="dora@mail.example", signup_network="192.0.2.0/24")
    return user


@pytest.mark.parametrize(
    "term",
    [
        "dora",
        "DORA",
        "dora@mail.example",
        "http://testserver/profile/dora/",
        "http://testserver/dora/",
        "https://blog.example.org/dora-post",
        "@dora_x",
        "https://x.com/dora_x",
        "192.0.2.0/24",
    ],
)
def test_the_support_search_finds_a_user_from_anything(client, operator, dora, term):
    thing = make_thing(owner=dora)
    Thing.objects.filter(pk=thing.pk).update(url="https://blog.example.org/dora-post")
    pool_thing = make_thing(pool_label="@dora_x")
    PlatformAccount.objects.create(
        user_id="77",
        handle="dora_x",
        handle_checked_at=timezone.now(),
        pool=pool_thing.payee,
        thing=pool_thing,
        claimed_by=dora,
        claimed_at=timezone.now(),
    )
    page = client.get(SUPPORT, {"q": term})
    assert page.status_code == 200
    assert 'id="support-user">dora' in page.text
    assert "dora@mail.example" in page.text


def test_a_search_that_finds_nothing_says_what_to_try(client, operator):
    page = client.get(SUPPORT, {"q": "<script>" + "x" * 5000})
    assert page.status_code == 200 and 'id="support-nothing"' in page.text
    assert "<script>" not in page.text


def test_suspending_from_the_support_page_records_who_and_why(client, operator, dora):
    refused = client.post(action_url(dora, "suspend"), {"reason": ""})
    dora.refresh_from_db()
    assert refused.status_code == 302 and dora.suspended_at is None

    client.post(action_url(dora, "suspend"), {"reason": "chargebacks"})
    dora.refresh_from_db()
    page = client.get(SUPPORT, {"user": dora.pk}).text

    assert dora.suspended_at is not None
    action = AdminAction.objects.get(subject=dora)
    assert (action.actor, action.action, action.reason) == (operator, "suspend", "chargebacks")
    assert "Lift the suspension" in page and "chargebacks" in page


def test_marking_takes_one_field_and_the_button_pressed(client, operator, dora):
    client.post(action_url(dora, "mark"), {"reason": "many new donors", "kind": "suspicious"})
    bogus = client.post(action_url(dora, "mark"), {"reason": "x", "kind": "saint"})
    dora.refresh_from_db()
    assert dora.mark == "suspicious" and bogus.status_code == 302
    assert dora.marks.count() == 1


def test_staff_without_the_permission_may_look_but_not_act(client, dora):
    staff = make_user(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(staff)
    assert client.get(SUPPORT, {"q": "dora"}).status_code == 200
    assert client.post(action_url(dora, "suspend"), {"reason": "x"}).status_code == 403
    dora.refresh_from_db()
    assert dora.suspended_at is None


def test_a_fraud_return_from_the_support_page(client, operator):
    fraudster = make_user(username="fraudster")
    donor = make_donor(budget=1000, funds=5000)
    make_flattr(donor, make_thing(owner=fraudster))
    payday_run(month=MONTH)
    client.post(action_url(fraudster, "mark"), {"reason": "sock puppets", "kind": "fraud"})
    page = client.get(SUPPORT, {"user": fraudster.pk}).text
    assert "Return €9.00 to the donors" in page

    client.post(action_url(fraudster, "fraud_return"), {"reason": "sock puppets"})

    assert balance(fraudster) == 0 and balance(donor, Kind.FUNDS) == 5000 - 100
    assert Share.objects.get(donor=donor).state == Share.State.RETURNED


def test_banning_a_thing_from_the_support_page(client, operator, dora):
    thing = make_thing(owner=dora)
    client.post(reverse("console:thing_action", args=[thing.pk, "ban"]), {"reason": "spam"})
    thing.refresh_from_db()
    assert thing.banned
    assert AdminAction.objects.get(action="thing_ban").subject == dora


def test_an_admin_downloads_a_users_statement(client, operator):
    donor = make_donor(budget=1000, funds=1800)
    response = client.get(reverse("console:statement_csv", args=[donor.pk]))
    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200 and "18.00" in body and body.startswith("date,")


def _unbooked_transfer(debit_id: int, credit_id: int, key: str) -> None:
    """A transfer whose balances were never moved: the kind of fault the check exists for. The
    books' own trigger moves every balance, so the test (as the tables' owner, inside its
    transaction) switches it off for this one insert."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE payments_transfer DISABLE TRIGGER payments_transfer_balances_move"
        )
        cursor.execute(
            "INSERT INTO payments_transfer (debit_id, credit_id, amount, kind, key, created_at, "
            "memo) VALUES (%s, %s, 100, 'adjustment', %s, now(), '')",
            [debit_id, credit_id, key],
        )
        cursor.execute(
            "ALTER TABLE payments_transfer ENABLE TRIGGER payments_transfer_balances_move"
        )


def test_the_ledger_check_turns_the_panel_red_and_mails_the_admins(
    client, operator, django_capture_on_commit_callbacks
):
    fees = system_account(Kind.FEES)
    funds = user_account(make_user(), Kind.FUNDS)
    _unbooked_transfer(fees.pk, funds.pk, "broken:1")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:payments_ledgeraccount_check"))
    home = client.get(reverse("admin:index")).text

    assert "ledger-bad" in home and "PROBLEMS" in home
    assert [m.to for m in mail.outbox] == [["ops@flattr.example"]]
    assert "ledger check found" in mail.outbox[0].subject
    _unbooked_transfer(funds.pk, fees.pk, "broken:1:undo")  # so the books balance again
    client.post(reverse("admin:payments_ledgeraccount_check"))
    assert ledger_check_last().ok
    assert "The books balance." in client.get(reverse("admin:index")).text


def test_the_nightly_task_keeps_its_result_for_the_panel():
    from payments.tasks import ledger_check_nightly

    assert ledger_check_nightly.delay().get() == 0
    assert ledger_check_last().ok
