"""Property test: over random donors, budgets, wallets and flattrs, payday's SQL gives exactly
what payments.split.split_budget says, takes funds before earnings, and keeps the books sound."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from payments.models import LedgerAccount, Payday, PaydayDonor
from payments.payday import payday_check, payday_run
from payments.selectors import ledger_check
from payments.services import system_account
from payments.split import split_budget
from tests.payments.payday_data import (
    MONTH,
    balance,
    make_donor,
    make_flattr,
    make_thing,
    shares_of,
)

Kind = LedgerAccount.Kind
THINGS = 6  # thing 0 is closed, thing 1 pays a held pool

donor_strategy = st.fixed_dictionaries(
    {
        "budget": st.one_of(st.none(), st.integers(0, 3000)),
        "funds": st.integers(0, 3000),
        "earnings": st.integers(0, 2000),
        "use_earnings": st.booleans(),
        "charity": st.booleans(),
        # (thing, minute clicked): few minutes, so equal click times happen
        "flattrs": st.dictionaries(st.integers(0, THINGS - 1), st.integers(0, 3), max_size=THINGS),
    }
)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(donors=st.lists(donor_strategy, min_size=1, max_size=6))
def test_shares_follow_split_budget_and_the_books_balance(donors):
    savepoint = transaction.savepoint_create()
    try:
        _check_one_month(donors)
    finally:
        transaction.savepoint_rollback(savepoint)


def _check_one_month(specs):
    for kind in (Kind.FEES, Kind.CHARITY):
        system_account(kind)
    things = [
        make_thing(closed=i == 0, pool_label="@held" if i == 1 else "") for i in range(THINGS)
    ]
    donors = []
    for spec in specs:
        donor = make_donor(
            budget=spec["budget"],
            funds=spec["funds"],
            earnings=spec["earnings"],
            use_earnings=spec["use_earnings"],
            unused_to_charity=spec["charity"],
        )
        flattrs = [
            make_flattr(
                donor,
                things[t],
                at=timezone.make_aware(dt.datetime(2025, 3, 10, 12, minute)),
            )
            for t, minute in spec["flattrs"].items()
        ]
        donors.append((donor, spec, flattrs))
    received_before = {t.owner_id: balance(t.owner) for t in things if t.owner_id}

    summary = payday_run(month=MONTH)

    assert ledger_check() == []
    assert ledger_check() == []
    assert payday_check(payday=Payday.objects.get(month=MONTH)) == []
    total_fee = total_given = total_charity = 0
    for donor, spec, flattrs in donors:
        budget = spec["budget"] or 0
        live = sorted(
            (f for f in flattrs if not f.thing.closed), key=lambda f: (f.created_at, f.pk)
        )
        spendable = spec["funds"] + (spec["earnings"] if spec["use_earnings"] else 0)
        split = split_budget(
            budget_cents=budget,
            spendable_cents=spendable,
            n=len(live),
            fee_bps=settings.FEE_BPS,
        )
        shares = shares_of(donor)
        assert tuple(shares) == split.shares
        if shares:
            assert max(shares) - min(shares) <= 1
            assert sum(shares) == split.taken_cents - split.fee_cents
        from_funds = min(split.taken_cents, spec["funds"])
        charity = min(budget, spec["funds"]) if not live and spec["charity"] else 0
        assert balance(donor, Kind.FUNDS) == spec["funds"] - from_funds - charity
        assert balance(donor, Kind.EARNINGS) == spec["earnings"] - (split.taken_cents - from_funds)
        row = PaydayDonor.objects.filter(donor=donor).first()
        if live or charity:
            assert (row.taken_cents, row.fee_cents, row.charity_cents) == (
                split.taken_cents,
                split.fee_cents,
                charity,
            )
        else:
            assert row is None
        total_fee += split.fee_cents
        total_given += sum(shares)
        total_charity += charity
    assert system_account(Kind.FEES).balance == total_fee
    assert system_account(Kind.CHARITY).balance == total_charity
    received = sum(balance(t.owner) - received_before[t.owner_id] for t in things if t.owner_id)
    things[1].payee.refresh_from_db()
    assert received + things[1].payee.balance == total_given
    assert (summary.total_cents, summary.fees_cents, summary.charity_cents) == (
        total_given,
        total_fee,
        total_charity,
    )
