"""The money admin: the ledger is read-only, events show their outcome, the home panel adds up."""

from __future__ import annotations

import pytest
from django.urls import reverse

from payments.models import Budget, LedgerAccount, StripeEvent, Transfer
from payments.services import budget_set, system_account, transfer_post, user_account
from tests.factories import make_user
from tests.payments import stripe_events as se

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


@pytest.fixture
def staff_client(client):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def booked():
    donor = make_user(username="dora")
    transfer = transfer_post(
        key="deposit:pi_admin",
        kind=Transfer.Kind.DEPOSIT,
        debit=system_account(Kind.STRIPE),
        credit=user_account(donor, Kind.FUNDS),
        amount_cents=4200,
    )[0]
    return donor, transfer


@pytest.mark.parametrize("model", ["ledgeraccount", "transfer"])
def test_even_a_superuser_cannot_add_change_or_delete_ledger_rows(staff_client, booked, model):
    _, transfer = booked
    obj_id = transfer.pk if model == "transfer" else transfer.credit_id
    add = staff_client.get(reverse(f"admin:payments_{model}_add"))
    delete = staff_client.post(
        reverse(f"admin:payments_{model}_delete", args=[obj_id]), {"post": "yes"}
    )
    change = staff_client.post(
        reverse(f"admin:payments_{model}_change", args=[obj_id]), {"amount": 1}
    )
    view = staff_client.get(reverse(f"admin:payments_{model}_change", args=[obj_id]))

    assert add.status_code == 403 and delete.status_code == 403 and change.status_code == 403
    assert view.status_code == 200 and 'name="_save"' not in view.text
    assert Transfer.objects.get(pk=transfer.pk).amount == 4200


@pytest.mark.usefixtures("booked")
def test_transfers_are_found_by_the_username_of_either_side(staff_client):
    other = make_user(username="zed")
    transfer_post(
        key="other",
        kind=Transfer.Kind.DEPOSIT,
        debit=system_account(Kind.STRIPE),
        credit=user_account(other, Kind.FUNDS),
        amount_cents=100,
    )
    page = staff_client.get(reverse("admin:payments_transfer_changelist"), {"q": "dora"}).text
    assert "deposit:pi_admin" in page
    assert ">other<" not in page
    accounts = staff_client.get(reverse("admin:payments_ledgeraccount_changelist"), {"q": "dora"})
    assert "dora" in accounts.text


def test_stripe_events_are_listed_with_their_outcome(staff_client, client):
    donor = make_user()
    deposit = se.new_deposit(donor, 500)
    se.post(client, se.intent_succeeded(deposit, amount=999, amount_received=999))
    page = staff_client.get(
        reverse("admin:payments_stripeevent_changelist"), {"outcome__exact": "rejected"}
    ).text
    assert "amount_mismatch" in page
    assert StripeEvent.objects.get().outcome == "rejected"


def test_the_admin_home_shows_the_money_panel_and_the_ledger_check(staff_client, booked):
    page = staff_client.get(reverse("admin:index")).text
    assert 'id="money-panel"' in page
    assert "The books balance." in page
    assert "€42.00" in page  # money in and donors' funds
    assert "None yet." in page  # no payday has run


def test_an_admin_cannot_save_a_budget_outside_the_limits(staff_client):
    donor = make_user()
    budget_set(user=donor, monthly_cents=500, use_earnings=False, unused_to_charity=False)
    url = reverse("admin:payments_budget_change", args=[donor.pk])
    form = staff_client.get(url).text
    response = staff_client.post(url, {"user": donor.pk, "monthly_cents": "0.50"})
    assert response.status_code == 200 and "errornote" in response.text
    assert Budget.objects.get(user=donor).monthly_cents == 500
    staff_client.post(url, {"user": donor.pk, "monthly_cents": "20.00", "use_earnings": "on"})
    assert 'value="5.00"' in form  # the form shows euros, not cents
    assert Budget.objects.get(user=donor).monthly_cents == 2000
