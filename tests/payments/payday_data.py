"""Building blocks for payday tests: donors with wallets, things, flattrs, and a ledger snapshot
that two runs can be compared by, row for row."""

from __future__ import annotations

import datetime as dt
import itertools

from django.db import connection
from django.utils import timezone

from flattr.models import Flattr, Thing
from payments.models import Budget, LedgerAccount, Share, Transfer
from payments.services import pool_account_create, system_account, transfer_post, user_account
from tests.factories import make_user

Kind = LedgerAccount.Kind
MONTH = dt.date(2025, 3, 1)  # long closed, whatever day the tests run
_keys = itertools.count(1)


def fund(user, *, funds: int = 0, earnings: int = 0) -> None:
    """Give a user money the way the books would have it: from Stripe clearing into funds, and
    (standing in for shares received earlier) into earnings."""
    stripe = system_account(Kind.STRIPE)
    if funds:
        transfer_post(
            key=f"test:deposit:{next(_keys)}",
            kind=Transfer.Kind.DEPOSIT,
            debit=stripe,
            credit=user_account(user, Kind.FUNDS),
            amount_cents=funds,
        )
    if earnings:
        transfer_post(
            key=f"test:earnings:{next(_keys)}",
            kind=Transfer.Kind.ADJUSTMENT,
            debit=stripe,
            credit=user_account(user, Kind.EARNINGS),
            amount_cents=earnings,
        )


def make_donor(
    *,
    budget: int | None = 1000,
    funds: int = 0,
    earnings: int = 0,
    use_earnings: bool = False,
    unused_to_charity: bool = False,
    **user_fields,
):
    """A user with a monthly budget (None: no Budget row at all) and the given balances."""
    user = make_user(**user_fields)
    if budget is not None:
        Budget.objects.create(
            user=user,
            monthly_cents=budget,
            use_earnings=use_earnings,
            unused_to_charity=unused_to_charity,
        )
    fund(user, funds=funds, earnings=earnings)
    return user


def make_thing(
    *, owner=None, pool_label: str = "", closed=False, banned=False, hidden=False, title="A thing"
):
    """A thing paying its owner's earnings, or (with pool_label) a held pool."""
    if pool_label:
        payee = pool_account_create(label=pool_label)
    else:
        owner = owner or make_user()
        payee = user_account(owner, Kind.EARNINGS)
    n = next(_keys)
    return Thing.objects.create(
        owner=None if pool_label else owner,
        payee=payee,
        url=f"https://example.org/thing/{n}",
        title=f"{title} {n}",
        hidden=hidden,
        closed=closed,
        banned=banned,
    )


def make_flattr(donor, thing, *, month: dt.date = MONTH, at: dt.datetime | None = None) -> Flattr:
    """A click; `at` sets created_at (the split's order), default a moment inside the month."""
    flattr = Flattr.objects.create(donor=donor, thing=thing, month=month)
    at = at or timezone.make_aware(dt.datetime.combine(month, dt.time(12)) + dt.timedelta(days=1))
    Flattr.objects.filter(pk=flattr.pk).update(created_at=at)
    flattr.created_at = at
    return flattr


def balance(user, kind: str = Kind.EARNINGS) -> int:
    account = LedgerAccount.objects.filter(user=user, kind=kind).first()
    return account.balance if account else 0


def shares_of(donor, month: dt.date = MONTH) -> list[int]:
    """The donor's share amounts in split order: (created_at, id) of the flattr."""
    return list(
        Share.objects.filter(donor=donor, month=month)
        .order_by("flattr__created_at", "flattr_id")
        .values_list("amount", flat=True)
    )


def ledger_snapshot() -> dict:
    """Everything a payday writes, in a form two runs over the same data can be compared by,
    row for row: transfers by key (kind, accounts, amount, month), every account's balance,
    shares by flattr, donor snapshots by donor, notices by user, paydays by month. Accounts are
    named by (kind, user, label), not id, since a run may open accounts; generated ids and
    timestamps are left out."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, kind, user_id, label FROM payments_ledgeraccount")
        names = {row[0]: row[1:] for row in cursor.fetchall()}

        def rows(sql: str, account_columns: tuple[int, ...] = ()) -> list[tuple]:
            cursor.execute(sql)
            return sorted(
                tuple(names.get(v) if i in account_columns else v for i, v in enumerate(row))
                for row in cursor.fetchall()
            )

        return {
            "transfers": rows(
                "SELECT key, kind, debit_id, credit_id, amount, month, payday_id IS NOT NULL "
                "FROM payments_transfer",
                (2, 3),
            ),
            "balances": rows("SELECT id, balance FROM payments_ledgeraccount", (0,)),
            "shares": rows(
                "SELECT flattr_id, donor_id, thing_id, payee_id, amount, state, month "
                "FROM payments_share",
                (3,),
            ),
            "donors": rows(
                "SELECT donor_id, month, funds_id, earnings_id, flattrs, budget_cents, "
                "funds_cents, earnings_cents, taken_cents, from_funds_cents, "
                "from_earnings_cents, fee_cents, charity_cents FROM payments_paydaydonor",
                (2, 3),
            ),
            "notices": rows("SELECT user_id, before_cents, after_cents FROM payments_paydaynotice"),
            "paydays": rows(
                "SELECT month, stage, donors, shares, recipients, total_cents, fees_cents, "
                "charity_cents FROM payments_payday"
            ),
        }
