"""The whole-books ledger check as a watch: run every night by beat and on demand from the
admin home panel, its last result kept for the panel, and any finding mailed to the admins.

The check reads every transfer ever made, so the home panel shows the last run instead of
running it on each page view. The result lives in the cache (Redis in production); if it is
lost, the panel says the check has not run and offers to run it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.mail import mail_queue
from payments.selectors import ledger_check

CACHE_KEY = "ledger-check:last"
KEEP_SECONDS = 8 * 24 * 3600  # a week of missed nights still shows the last result
PROBLEMS_MAILED = 50  # the mail lists this many findings; the admin shows them all


@dataclass(frozen=True)
class LedgerCheckRun:
    at: dt.datetime
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def ledger_check_run(*, mail: bool = True) -> LedgerCheckRun:
    """Check the whole books now, keep the result for the home panel and, when anything is
    wrong, mail every active superuser."""
    run = LedgerCheckRun(at=timezone.now(), problems=ledger_check())
    cache.set(CACHE_KEY, {"at": run.at.isoformat(), "problems": run.problems}, KEEP_SECONDS)
    if run.problems and mail:
        admins = get_user_model().objects.filter(is_superuser=True, is_active=True)
        for admin in admins.exclude(email=""):
            mail_queue(
                user=admin,
                template_prefix="payments/email/ledger_alert",
                context={
                    "run": run,
                    "problems": run.problems[:PROBLEMS_MAILED],
                    "more": max(0, len(run.problems) - PROBLEMS_MAILED),
                    "admin_url": reverse("admin:index"),
                },
            )
    return run


def ledger_check_last() -> LedgerCheckRun | None:
    """Return the last recorded run, or None when none is kept."""
    data = cache.get(CACHE_KEY)
    if not data:
        return None
    return LedgerCheckRun(at=dt.datetime.fromisoformat(data["at"]), problems=data["problems"])
