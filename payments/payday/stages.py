"""A payday's stages, what it reports while and after it runs, and how it refuses or stops."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.dispatch import Signal
from django.utils.translation import gettext

from payments.errors import PaymentError
from payments.models import Payday
from payments.months import month_previous, month_start

Stage = Payday.Stage
STAGE_ORDER = [Stage.STARTED, Stage.SHARES, Stage.POSTED, Stage.NOTIFIED, Stage.DONE]

# Sent (after commit) when a payday reaches `done`, with `payday=`. The twitter app listens to
# notify owners of held pools that crossed their threshold; payments needs to know nothing of it.
payday_finished = Signal()


class PaydayError(PaymentError):
    """A payday refused or stopped: `payday_month_open` (the month has not ended),
    `payday_running` (another payday holds the lock), `payday_check_failed` (the self-check
    found a broken invariant after posting; the payday stays at `shares` for a human)."""


@dataclass(frozen=True)
class PaydayProgress:
    """One step of a running payday, for progress bars: `done` of `total` in `stage`."""

    stage: str
    done: int
    total: int


ProgressCallback = Callable[[PaydayProgress], None]


@dataclass
class PaydaySummary:
    month: dt.date
    stage: str  # the payday's stage, or "preview" for a dry run of a month never started
    donors: int = 0
    shares: int = 0
    recipients: int = 0
    total_cents: int = 0  # what recipients receive, after the fee
    fees_cents: int = 0
    charity_cents: int = 0
    dry_run: bool = False
    payday_id: int | None = None
    ledger_problems: list[str] = field(default_factory=list)

    @property
    def ledger_ok(self) -> bool:
        return not self.ledger_problems


def month_check_closed(month: dt.date) -> dt.date:
    """Return `month` as its first day, or raise `payday_month_open` unless it has ended (in the
    site's timezone).

    Flattrs of the current month are still pending (donors may add and remove them), so only a
    closed month can be split.
    """
    month = month_start(month)
    current = month_start()
    if month >= current:
        raise PaydayError(
            "payday_month_open",
            gettext(
                "%(month)s has not ended yet; payday splits closed months only "
                "(the latest is %(latest)s)."
            )
            % {"month": f"{month:%Y-%m}", "latest": f"{month_previous(current):%Y-%m}"},
        )
    return month


def stage_set(payday: Payday, stage: str, **fields) -> None:
    payday.stage = stage
    for name, value in fields.items():
        setattr(payday, name, value)
    payday.save(update_fields=["stage", *fields])
