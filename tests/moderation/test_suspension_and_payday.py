"""Suspensions and fraud marks: the account's flattrs drop out of the next payday to the cent,
its budget stays in its wallet, and nobody can flattr it or with it."""

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import AccountMark, AdminAction
from accounts.moderation import (
    ModerationError,
    account_mark_add,
    user_suspend,
    user_unsuspend,
)
from flattr.errors import FlattrError
from flattr.services import flattr_add
from payments.models import LedgerAccount, PaydayDonor, Share
from payments.payday import payday_preview, payday_run
from tests.factories import fund_user, make_thing, make_user
from tests.payments.payday_data import MONTH, balance, make_donor, make_flattr
from tests.payments.payday_data import make_thing as make_payee_thing

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


@pytest.fixture
def moderator():
    return make_user(username="mod", is_staff=True, is_superuser=True)


def _month_of_two_donors():
    """An honest donor and a second donor, both flattring the same two recipients."""
    honest = make_donor(budget=1000, funds=5000)
    other = make_donor(budget=1000, funds=5000)
    first, second = make_payee_thing(), make_payee_thing()
    for donor in (honest, other):
        make_flattr(donor, first)
        make_flattr(donor, second)
    return honest, other, first.owner, second.owner


def test_a_suspended_donors_flattrs_are_left_out_to_the_cent_and_the_budget_stays(moderator):
    honest, suspended, first, second = _month_of_two_donors()
    user_suspend(user=suspended, by=moderator, reason="chargebacks on three cards")

    preview = payday_preview(month=MONTH)
    summary = payday_run(month=MONTH)

    # Only the honest donor's €10.00 is split: €1.00 fee, €4.50 to each recipient.
    assert balance(first) == 450 and balance(second) == 450
    assert balance(suspended, Kind.FUNDS) == 5000  # the budget stays in the wallet
    assert balance(honest, Kind.FUNDS) == 4000
    assert not Share.objects.filter(donor=suspended).exists()
    assert not PaydayDonor.objects.filter(donor=suspended).exists()
    assert summary.donors == preview.donors == 1
    assert summary.total_cents == preview.total_cents == 900
    assert summary.fees_cents == preview.fees_cents == 100


def test_a_fraud_marked_donor_is_left_out_like_a_suspended_one(moderator):
    _honest, fraud, first, second = _month_of_two_donors()
    account_mark_add(user=fraud, kind=AccountMark.Kind.FRAUD, by=moderator, reason="stolen card")

    payday_run(month=MONTH)

    assert balance(fraud, Kind.FUNDS) == 5000
    assert balance(first) == balance(second) == 450


def test_a_suspended_recipients_share_stays_with_the_donor(moderator):
    donor = make_donor(budget=1000, funds=5000)
    kept, dropped = make_payee_thing(), make_payee_thing()
    make_flattr(donor, kept)
    make_flattr(donor, dropped)
    user_suspend(user=dropped.owner, by=moderator, reason="sells flattrs")

    payday_run(month=MONTH)

    # The budget is split over the one flattr that still counts: €9.00 after the fee.
    assert balance(kept.owner) == 900
    assert balance(dropped.owner) == 0
    assert balance(donor, Kind.FUNDS) == 4000


def test_a_suspended_donor_who_gives_unused_budget_to_charity_gives_nothing(moderator):
    donor = make_donor(budget=1000, funds=5000, unused_to_charity=True)
    user_suspend(user=donor, by=moderator, reason="frozen for review")

    payday_run(month=MONTH)

    assert balance(donor, Kind.FUNDS) == 5000


def test_lifting_the_suspension_counts_the_flattrs_again(moderator):
    _honest, suspended, first, _second = _month_of_two_donors()
    user_suspend(user=suspended, by=moderator, reason="looked odd")
    user_unsuspend(user=suspended, by=moderator, reason="the bank confirmed the cards")

    payday_run(month=MONTH)

    assert balance(first) == 900
    actions = list(AdminAction.objects.filter(subject=suspended).values_list("action", flat=True))
    assert actions == ["unsuspend", "suspend"]


def test_nobody_flattrs_with_or_to_a_suspended_account(moderator):
    donor = fund_user(make_user())
    thing = make_thing()
    user_suspend(user=donor, by=moderator, reason="card testing")
    with pytest.raises(FlattrError) as refused:
        flattr_add(donor=donor, thing=thing)
    assert refused.value.code == "account_suspended"

    other = fund_user(make_user())
    user_suspend(user=thing.owner, by=moderator, reason="spam things")
    with pytest.raises(FlattrError) as hidden:
        flattr_add(donor=other, thing=thing)
    assert hidden.value.code == "thing_hidden"


def test_every_moderation_action_needs_a_reason_and_is_recorded(moderator):
    user = make_user()
    with pytest.raises(ModerationError) as missing:
        user_suspend(user=user, by=moderator, reason="   ")
    assert missing.value.code == "reason_missing"
    with pytest.raises(ModerationError):
        account_mark_add(user=user, kind="saint", by=moderator, reason="x")
    with pytest.raises(ModerationError) as own:
        account_mark_add(user=moderator, kind="trusted", by=moderator, reason="I am nice")
    assert own.value.code == "self"

    account_mark_add(user=user, kind="suspicious", by=moderator, reason="many new donors")
    account_mark_add(user=user, kind="cleared", by=moderator, reason="a real band")
    user.refresh_from_db()

    assert user.mark == "" and user.suspended_at is None
    marks = list(AccountMark.objects.filter(user=user).values_list("kind", "by__username"))
    assert marks == [("cleared", "mod"), ("suspicious", "mod")]
    assert AdminAction.objects.filter(subject=user, actor=moderator).count() == 2


@pytest.mark.parametrize("statement", ["UPDATE {table} SET reason = 'x'", "DELETE FROM {table}"])
@pytest.mark.parametrize("table", ["accounts_accountmark", "accounts_adminaction"])
def test_the_database_keeps_marks_and_admin_actions_insert_only(moderator, statement, table):
    account_mark_add(user=make_user(), kind="spam", by=moderator, reason="link farm")
    with (
        pytest.raises(DatabaseError, match="insert-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table))
    assert AccountMark.objects.filter(reason="link farm").exists()


def test_the_dashboard_counts_what_payday_counts_around_suspended_accounts(moderator):
    from django.test import Client
    from django.urls import reverse

    from flattr.models import Flattr
    from payments.months import month_start

    now = month_start()
    donor = make_donor(budget=1000, funds=5000)
    kept, dropped = make_payee_thing(), make_payee_thing()
    make_flattr(donor, kept, month=now)
    make_flattr(donor, dropped, month=now)
    suspended = make_donor(budget=1000, funds=5000)
    make_flattr(suspended, kept, month=now)
    user_suspend(user=dropped.owner, by=moderator, reason="sells flattrs")
    user_suspend(user=suspended, by=moderator, reason="card testing")

    def dashboard(user):
        client = Client()
        client.force_login(user)
        return client.get(reverse("dashboard")).context["month"]

    worth = {row.flattr.thing_id: row.worth_cents for row in dashboard(donor).flattrs}
    assert worth == {kept.pk: 900, dropped.pk: 0}
    assert dashboard(suspended).counted == 0

    Flattr.objects.filter(month=now).update(month=MONTH)
    payday_run(month=MONTH)
    assert balance(kept.owner) == 900 and balance(dropped.owner) == 0
    assert balance(suspended, Kind.FUNDS) == 5000
