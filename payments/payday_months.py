"""Which months an operator may preview or run a payday for, beyond "it has ended".

A month before the first flattr has nothing to split, and a month older than the last finished
payday was either split already or skipped on purpose: running it now would post a payday out
of order that no donor expects. The admin's month form refuses both, saying why.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils.translation import gettext

from payments.models import Payday
from payments.payday import PaydayError


def _first_flattr_month() -> dt.date | None:
    # Payday reads core's flattrs through SQL only (never its models); so does this.
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(month) FROM flattr_flattr")
        return cursor.fetchone()[0]


def payday_month_check(month: dt.date) -> dt.date:
    """Return `month` (its first day) or raise PaydayError `payday_before_flattrs` or
    `payday_month_old`; the caller has checked that the month is closed."""
    first = _first_flattr_month()
    if first is None or month < first:
        raise PaydayError(
            "payday_before_flattrs",
            gettext("Nobody has flattred anything yet, so there is nothing to split.")
            if first is None
            else gettext(
                "%(month)s is before the first flattr (%(first)s): there is nothing to split."
            )
            % {"month": f"{month:%Y-%m}", "first": f"{first:%Y-%m}"},
        )
    last_done = (
        Payday.objects.filter(stage=Payday.Stage.DONE)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if last_done is not None and month < last_done:
        raise PaydayError(
            "payday_month_old",
            gettext(
                "%(month)s is older than the last finished payday (%(last)s); paydays run in "
                "order, so a past month cannot be split now."
            )
            % {"month": f"{month:%Y-%m}", "last": f"{last_done:%Y-%m}"},
        )
    return month
