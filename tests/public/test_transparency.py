"""The transparency report equals an independent sum over the ledger, for a scripted month."""

import csv
import datetime as dt
import io
from collections import defaultdict

import pytest
from django.urls import reverse

from payments.models import LedgerAccount, Transfer
from payments.payday import payday_run
from payments.services import system_account, transfer_post, user_account
from payments.transparency import FIGURES, transparency_months
from tests.payments.payday_data import MONTH, make_donor, make_flattr, make_thing

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


def _deposit(user, cents: int):
    """A card payment booked in the scripted month."""
    transfer_post(key=f"t:deposit:{user.pk}", kind=Transfer.Kind.DEPOSIT,
                  debit=system_account(Kind.STRIPE), credit=user_account(user, Kind.FUNDS),
                  amount_cents=cents, month=MONTH)  # fmt: skip
    return user


def _script_a_month():
    """Deposits, a payday with shares to a creator and to a held pool, a fee, unused budget to
    charity, a claim, an expiry, a payout and its partial reversal, and a refund."""
    creator_thing = make_thing()
    pool_thing = make_thing(pool_label="held for @someone")
    giver = _deposit(make_donor(budget=1000), 2500)
    other = _deposit(make_donor(budget=700), 700)
    _deposit(make_donor(budget=300, unused_to_charity=True), 500)  # flattrs nothing
    make_flattr(giver, creator_thing)
    make_flattr(giver, pool_thing)
    make_flattr(other, pool_thing)
    payday_run(month=MONTH)
    pool = pool_thing.payee
    claimer = creator_thing.owner
    earnings = user_account(claimer, Kind.EARNINGS)
    transfer_post(key="t:claim", kind=Transfer.Kind.CLAIM, debit=pool, credit=earnings,
                  amount_cents=300, month=MONTH)  # fmt: skip
    back = user_account(other, Kind.FUNDS)
    transfer_post(key="t:expiry", kind=Transfer.Kind.EXPIRY, debit=pool, credit=back,
                  amount_cents=100, month=MONTH)  # fmt: skip
    payouts = system_account(Kind.PAYOUTS)
    transfer_post(key="t:payout", kind=Transfer.Kind.PAYOUT, debit=earnings, credit=payouts,
                  amount_cents=400, month=MONTH)  # fmt: skip
    transfer_post(key="t:payout-back", kind=Transfer.Kind.PAYOUT_REVERSAL, debit=payouts,
                  credit=earnings, amount_cents=50, month=MONTH)  # fmt: skip
    transfer_post(key="t:refund", kind=Transfer.Kind.REFUND, debit=user_account(giver, Kind.FUNDS),
                  credit=system_account(Kind.STRIPE), amount_cents=200, month=MONTH)  # fmt: skip


def _independent_sums() -> dict:
    """Sum every transfer in Python by its kind and the kind of the account it credits."""
    sums = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for t in Transfer.objects.select_related("credit"):
        month = t.month or t.created_at.date().replace(day=1)
        row = sums[month]
        if t.kind == "deposit":
            row["deposited"] += t.amount
        if t.kind == "share":
            row["distributed"] += t.amount
            if t.credit.kind == "pool":
                row["held"] += t.amount
        if t.kind == "fee":
            row["fee"] += t.amount
        if t.credit.kind == "charity":
            row["charity"] += t.amount
        if t.kind == "claim":
            row["claimed"] += t.amount
        if t.kind == "expiry":
            row["returned"] += t.amount
        if t.kind == "payout":
            row["paid_out"] += t.amount
        if t.kind == "payout_reversal":
            row["paid_out"] -= t.amount
        if t.kind == "refund":
            row["refunded"] += t.amount
    return dict(sums)


def test_every_figure_equals_an_independent_sum_over_the_ledger():
    _script_a_month()

    report = {m.month: {n: getattr(m, n) for n in FIGURES} for m in transparency_months()}

    assert report == _independent_sums()
    month = report[MONTH]
    assert month["deposited"] == 2500 + 700 + 500
    assert month["fee"] == 100 + 70  # 10 % of each budget taken
    assert month["distributed"] == 900 + 630
    assert month["held"] == 450 + 630  # giver's second share and all of other's
    assert month["charity"] == 300
    assert (month["claimed"], month["returned"], month["paid_out"], month["refunded"]) == (
        300, 100, 350, 200,
    )  # fmt: skip


def test_the_page_and_the_downloads_show_the_same_figures(client):
    _script_a_month()
    figures = _independent_sums()[MONTH]

    page = client.get(reverse("transparency"))
    rows = list(csv.reader(io.StringIO(client.get(reverse("transparency_csv")).text)))
    data = client.get(reverse("transparency_json")).json()

    assert page.status_code == 200
    assert "<svg" in page.text and "€37.00" in page.text  # deposits of the month
    assert rows[0] == ["month", *(f"{n}_cents" for n in FIGURES)]
    assert rows[1] == ["2025-03", *(str(figures[n]) for n in FIGURES)]
    assert data["months"][0] == {"month": "2025-03", **figures}
    assert data["totals"] == figures


def test_the_page_is_german_with_german_amounts(client):
    _script_a_month()

    page = client.get(reverse("transparency"), HTTP_ACCEPT_LANGUAGE="de")

    assert "Wohin das Geld ging" in page.text
    assert "37,00\u00a0€" in page.text
    assert "März 2025" in page.text


def test_an_empty_ledger_gives_an_empty_report(client):
    assert transparency_months() == []
    assert client.get(reverse("transparency")).status_code == 200
    assert dt.date.today()  # the chart still lays out twelve empty months
