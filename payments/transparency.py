"""The transparency report: where all the money went, month by month, straight from the ledger.

Each figure is a sum of transfers (never a cached balance or a payday summary row), so the page
equals the books to the cent. A transfer belongs to the month it was booked for (payday's
transfers carry the month that was split) or, without one, the month it was made in.

- deposited: card payments in (deposit)
- distributed: flattr shares to creators and held pools (share)
- fee: payday's fee (fee)
- charity: everything given to charity (any transfer into the charity account)
- held: shares that went into held pools of accounts that have not joined (share into a pool)
- claimed: held money claimed by its owner (claim)
- returned: held money returned to donors after the hold (expiry)
- paid out: payouts to bank accounts, less reversed payouts (payout − payout_reversal)
- refunded: refunds to cards (refund)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from django.db import connection

from payments.models import Payday
from payments.months import month_add

FIGURES = (
    "deposited",
    "distributed",
    "fee",
    "charity",
    "held",
    "claimed",
    "returned",
    "paid_out",
    "refunded",
)

_SQL = """
    SELECT COALESCE(t.month, date_trunc('month', t.created_at AT TIME ZONE 'UTC')::date) AS m,
           SUM(t.amount) FILTER (WHERE t.kind = 'deposit'),
           SUM(t.amount) FILTER (WHERE t.kind = 'share'),
           SUM(t.amount) FILTER (WHERE t.kind = 'fee'),
           SUM(t.amount) FILTER (WHERE c.kind = 'charity'),
           SUM(t.amount) FILTER (WHERE t.kind = 'share' AND c.kind = 'pool'),
           SUM(t.amount) FILTER (WHERE t.kind = 'claim'),
           SUM(t.amount) FILTER (WHERE t.kind = 'expiry'),
           COALESCE(SUM(t.amount) FILTER (WHERE t.kind = 'payout'), 0)
             - COALESCE(SUM(t.amount) FILTER (WHERE t.kind = 'payout_reversal'), 0),
           SUM(t.amount) FILTER (WHERE t.kind = 'refund')
    FROM payments_transfer t
    JOIN payments_ledgeraccount c ON c.id = t.credit_id
    GROUP BY 1
    ORDER BY 1 DESC
"""

# Chart geometry (SVG user units; the SVG scales to its container).
CHART_WIDTH = 720
CHART_HEIGHT = 260
CHART_TOP = 16
CHART_BOTTOM = 36
CHART_LEFT = 8
CHART_GROUP_GAP = 14
CHART_MONTHS = 12
CHART_SERIES = ("deposited", "distributed", "fee", "charity", "held")


@dataclass(frozen=True)
class TransparencyMonth:
    month: dt.date
    deposited: int = 0
    distributed: int = 0
    fee: int = 0
    charity: int = 0
    held: int = 0
    claimed: int = 0
    returned: int = 0
    paid_out: int = 0
    refunded: int = 0

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def transparency_months() -> list[TransparencyMonth]:
    """Return every month with money movements, newest first (one query over the ledger)."""
    with connection.cursor() as cursor:
        cursor.execute(_SQL)
        rows = cursor.fetchall()
    return [TransparencyMonth(row[0], *(int(value or 0) for value in row[1:])) for row in rows]


def transparency_totals(months: list[TransparencyMonth]) -> dict[str, int]:
    """Return each figure summed over all months."""
    return {name: sum(getattr(m, name) for m in months) for name in FIGURES}


def last_payday_distributed() -> tuple[dt.date | None, int]:
    """Return (the last finished payday's month, what its shares distributed) in cents."""
    payday = (
        Payday.objects.filter(stage__in=[Payday.Stage.NOTIFIED, Payday.Stage.DONE])
        .order_by("-month")
        .first()
    )
    if payday is None:
        return None, 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM payments_transfer"
            " WHERE payday_id = %s AND kind = 'share'",
            [payday.pk],
        )
        return payday.month, int(cursor.fetchone()[0])


@dataclass(frozen=True)
class ChartBar:
    series: str
    x: float
    y: float
    width: float
    height: float
    cents: int


@dataclass(frozen=True)
class ChartGroup:
    month: dt.date
    label_x: float
    bars: list[ChartBar]


def transparency_chart(
    months: list[TransparencyMonth], *, last: dt.date, count: int = CHART_MONTHS
) -> list[ChartGroup]:
    """Lay out grouped bars (one group per month, oldest first) for the server-rendered SVG."""
    by_month = {m.month: m for m in months}
    first = month_add(last, -(count - 1))
    series = [
        by_month.get(month_add(first, i), TransparencyMonth(month_add(first, i)))
        for i in range(count)
    ]
    peak = max((getattr(m, s) for m in series for s in CHART_SERIES), default=0) or 1
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT) / count
    bar_width = (slot - CHART_GROUP_GAP) / len(CHART_SERIES)
    groups = []
    for i, m in enumerate(series):
        x0 = CHART_LEFT + i * slot + CHART_GROUP_GAP / 2
        bars = []
        for j, name in enumerate(CHART_SERIES):
            cents = getattr(m, name)
            height = round(plot * cents / peak, 1)
            bars.append(
                ChartBar(
                    series=name,
                    x=round(x0 + j * bar_width, 1),
                    y=round(CHART_TOP + plot - height, 1),
                    width=round(bar_width - 1, 1),
                    height=height,
                    cents=cents,
                )
            )
        groups.append(
            ChartGroup(
                month=m.month, label_x=round(x0 + (slot - CHART_GROUP_GAP) / 2, 1), bars=bars
            )
        )
    return groups
