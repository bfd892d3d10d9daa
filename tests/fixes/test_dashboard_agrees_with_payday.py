"""The dashboard's live split, payday's preview and the real payday count the same flattrs.

Payday splits a budget only over flattrs on visible, unbanned things that do not pay the donor's
own account (payments/sql/payday_split.sql, step `live`), and takes nothing from a frozen
account. The dashboard (flattr.selectors.donor_month) and the preview (payments.payday.
payday_preview, the same SQL without writes) must show the same cents for the same month.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from flattr.models import Flattr, Thing
from flattr.selectors import month_start
from payments.models import LedgerAccount, Share, Transfer
from payments.payday import payday_preview, payday_run
from payments.services import system_account, transfer_post, user_account
from tests.payments.payday_data import MONTH, make_donor, make_flattr, make_thing

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


def dashboard_month(donor):
    client = Client()
    client.force_login(donor)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.context["month"]


def freeze(user, cents: int) -> None:
    """Leave the user owing `cents` (a refund their wallet could not cover)."""
    transfer_post(
        key=f"test:debt:{user.pk}",
        kind=Transfer.Kind.ADJUSTMENT,
        debit=user_account(user, Kind.RECEIVABLE),
        credit=system_account(Kind.STRIPE),
        amount_cents=cents,
    )


def test_closed_banned_and_own_things_count_alike_on_the_dashboard_the_preview_and_payday():
    now = month_start()
    # 1003 cents (not a round figure) over 4 counted flattrs: remainders must land alike.
    mixed = make_donor(budget=1003, funds=5000)
    own_claimed = Thing.objects.create(
        owner=None,
        payee=user_account(mixed, Kind.EARNINGS),
        url="https://x.com/mixed",
        title="An account the donor claimed",
    )
    for thing in (
        make_thing(title="Visible"),
        make_thing(closed=True, title="Closed"),
        make_thing(hidden=True, title="Hidden, only unlisted"),
        make_thing(title="Also visible"),
        make_thing(banned=True, title="Banned"),
        own_claimed,
        make_thing(pool_label="@someone", title="Held for someone"),
    ):
        make_flattr(mixed, thing, month=now)
    # Earnings spent on top of funds, and a budget larger than the wallet.
    earner = make_donor(budget=2000, funds=300, earnings=950, use_earnings=True)
    for thing in (make_thing(), make_thing(banned=True), make_thing()):
        make_flattr(earner, thing, month=now)
    frozen = make_donor(budget=1000, funds=5000)
    make_flattr(frozen, make_thing(), month=now)
    freeze(frozen, 700)
    donors = [mixed, earner, frozen]

    dashboards = {donor.pk: dashboard_month(donor) for donor in donors}
    worth = {row.flattr.pk: row.worth_cents for d in dashboards.values() for row in d.flattrs}
    counted = {row.flattr.pk for d in dashboards.values() for row in d.flattrs if row.counts}
    assert [d.counted for d in dashboards.values()] == [4, 2, 1]

    # Close the month: the same flattrs, in the same order, now belong to a month payday may run.
    Flattr.objects.filter(month=now).update(month=MONTH)
    preview = payday_preview(month=MONTH)
    payday_run(month=MONTH)
    shares = dict(Share.objects.values_list("flattr_id", "amount"))

    assert set(shares) == counted  # payday split exactly the flattrs the dashboard counted
    assert shares == {pk: worth[pk] for pk in counted}  # … to the cent
    assert all(worth[pk] == 0 for pk in worth.keys() - counted)
    assert preview.shares == len(counted)
    assert preview.donors == len(donors)
    assert preview.total_cents == sum(shares.values()) == sum(worth.values())
    assert preview.fees_cents == sum(d.fee_cents for d in dashboards.values())
    frozen_flattrs = [row.flattr.pk for row in dashboards[frozen.pk].flattrs]
    assert [shares[pk] for pk in frozen_flattrs] == [0]  # a frozen account gives nothing
