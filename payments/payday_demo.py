"""Demo paydays for `make run`: anna flattred pat's things in two closed months and payday split
them, so anna's statements and pat's income chart have something to show. Safe to run twice.

The flattrs are written directly (flattr_add only adds to the current month): they stand for
clicks made back then.
"""

from __future__ import annotations

import datetime as dt

from accounts.models import User
from flattr.models import Flattr, Thing
from payments.models import Payday
from payments.months import month_add, month_start
from payments.payday import payday_run

DEMO_MONTHS_BACK = (3, 1)  # two months back is the Twitter demo's payday
DEMO_FLATTRS_PER_MONTH = {3: 2, 1: 3}


def load(stdout) -> None:
    anna = User.objects.filter(username="anna").first()
    pat = User.objects.filter(username="pat").first()
    things = list(Thing.objects.filter(owner=pat, hidden=False).order_by("pk")[:3]) if pat else []
    if anna is None or not things:
        return
    current = month_start()
    done = []
    for back in DEMO_MONTHS_BACK:
        month = month_add(current, -back)
        if Payday.objects.filter(month=month).exists():
            continue
        for i, thing in enumerate(things[: DEMO_FLATTRS_PER_MONTH[back]]):
            flattr, _ = Flattr.objects.get_or_create(
                donor=anna, thing=thing, month=month, defaults={"source": Flattr.Source.SITE}
            )
            clicked = dt.datetime(month.year, month.month, 5 + i, 18, tzinfo=dt.UTC)
            Flattr.objects.filter(pk=flattr.pk).update(created_at=clicked)
        summary = payday_run(month=month)
        done.append(f"{month:%Y-%m} ({summary.shares} shares)")
    if done:
        stdout.write(
            "Demo paydays: " + ", ".join(done) + "; see /payments/statements/ as anna and "
            "/payments/income/ as pat."
        )
