"""Reads for the statements: where a donor's money went each month, and a recipient's income.

Both read the rows payday keeps (`PaydayDonor` per donor and month, `Share` per flattr), never the
ledger legs, so a statement names things, not accounts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from payments.models import LedgerAccount, PaydayDonor, Share
from payments.months import month_add

CHART_MONTHS = 12
# Geometry of the income chart (SVG user units; the SVG scales to its container).
CHART_WIDTH = 720
CHART_HEIGHT = 240
CHART_TOP = 24  # room for the amount above the tallest bar
CHART_VALUE_GAP = 6
CHART_BOTTOM = 36  # room for the month labels
CHART_LEFT = 8
CHART_BAR_GAP = 10


@dataclass(frozen=True)
class DonorStatement:
    month: dt.date
    taken_cents: int
    fee_cents: int
    given_cents: int  # what recipients received
    from_funds_cents: int
    from_earnings_cents: int
    charity_cents: int
    shares: list[Share]


@dataclass(frozen=True)
class IncomeMonth:
    month: dt.date
    cents: int


@dataclass(frozen=True)
class ChartBar:
    month: dt.date
    cents: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    value_y: float  # where the amount is written, just above the bar


def statement_months_for_donor(user) -> list[dt.date]:
    """Return the months (newest first) in which payday took money from or for this donor."""
    return list(
        PaydayDonor.objects.filter(donor=user)
        .order_by("-month")
        .values_list("month", flat=True)
        .distinct()
    )


def statement_for_donor(user, month: dt.date) -> DonorStatement | None:
    """Return where the donor's money went in `month`'s payday, or None if it took nothing."""
    row = PaydayDonor.objects.filter(donor=user, month=month).first()
    if row is None:
        return None
    shares = list(
        Share.objects.filter(donor=user, month=month)
        .select_related("thing", "flattr")
        .order_by("flattr__created_at", "flattr_id")
    )
    return DonorStatement(
        month=month,
        taken_cents=row.taken_cents + row.charity_cents,
        fee_cents=row.fee_cents,
        given_cents=row.taken_cents - row.fee_cents,
        from_funds_cents=row.from_funds_cents + row.charity_cents,
        from_earnings_cents=row.from_earnings_cents,
        charity_cents=row.charity_cents,
        shares=shares,
    )


def _income_shares(user):
    """Shares that are this user's income: paid to their earnings, or held for an account of
    theirs and since claimed (a claim re-points the thing's payee to their earnings)."""
    earnings = LedgerAccount.objects.filter(user=user, kind=LedgerAccount.Kind.EARNINGS).first()
    if earnings is None:
        return Share.objects.none()
    return Share.objects.filter(
        Q(payee=earnings, state=Share.State.PAID)
        | Q(state=Share.State.CLAIMED, thing__payee=earnings)
    )


def income_by_month(user, *, last: dt.date, months: int = CHART_MONTHS) -> list[IncomeMonth]:
    """Return the user's income for each of the `months` months up to `last`, oldest first,
    with 0 for months without income."""
    first = month_add(last, -(months - 1))
    totals = dict(
        _income_shares(user)
        .filter(month__gte=first, month__lte=last)
        .values("month")
        .annotate(total=Sum("amount"))
        .values_list("month", "total")
    )
    return [
        IncomeMonth(month, int(totals.get(month, 0)))
        for month in (month_add(first, i) for i in range(months))
    ]


def income_by_thing(user, *, month: dt.date | None = None) -> list[dict]:
    """Return the user's income per thing (all time, or in `month`), largest first: dicts with
    thing_id, title, cents and shares (the number of flattrs paid)."""
    shares = _income_shares(user)
    if month is not None:
        shares = shares.filter(month=month)
    rows = (
        shares.values("thing_id", "thing__title")
        .annotate(cents=Sum("amount"), shares=Count("id"))
        .order_by("-cents", "thing__title")
    )
    return [
        {
            "thing_id": row["thing_id"],
            "title": row["thing__title"],
            "cents": int(row["cents"]),
            "shares": int(row["shares"]),
        }
        for row in rows
    ]


def income_total(user) -> int:
    """Return everything the user has received through payday, in cents."""
    return int(_income_shares(user).aggregate(total=Sum("amount"))["total"] or 0)


def income_chart(months: list[IncomeMonth]) -> list[ChartBar]:
    """Lay out one bar per month for the server-rendered SVG chart, scaled to the largest."""
    if not months:
        return []
    peak = max(m.cents for m in months) or 1
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT) / len(months)
    bars = []
    for i, m in enumerate(months):
        height = round(plot_height * m.cents / peak, 1)
        x = round(CHART_LEFT + i * slot + CHART_BAR_GAP / 2, 1)
        width = round(slot - CHART_BAR_GAP, 1)
        bars.append(
            ChartBar(
                month=m.month,
                cents=m.cents,
                x=x,
                y=round(CHART_TOP + plot_height - height, 1),
                width=width,
                height=height,
                label_x=round(x + width / 2, 1),
                value_y=round(CHART_TOP + plot_height - height - CHART_VALUE_GAP, 1),
            )
        )
    return bars
