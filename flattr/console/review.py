"""The fraud review page's findings: what deserves a look this month.

Each pattern is one set-based query over a bounded window (one month's flattrs, the last
REVIEW_WINDOW_DAYS of sign-ups and deposits), never a loop over users. Platform apps add their
own patterns through flattr.console.registry.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.review import signup_bursts, usernames_on_networks
from flattr.console.registry import ReviewRow, ReviewWindow, review_checks
from payments.fraud import failed_deposits_by_account, failed_deposits_by_network
from payments.months import month_start

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
ROWS_PER_PATTERN = 50


@functools.cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def _rows(name: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_sql(name), {"limit": ROWS_PER_PATTERN, **params})
        return cursor.fetchall()


def review_window(month: dt.date | None = None) -> ReviewWindow:
    """Return the window the page looks at: `month` (default this one) and the days before."""
    month = month_start(month)
    start = timezone.make_aware(dt.datetime.combine(month, dt.time.min))
    since = min(start, timezone.now() - dt.timedelta(days=settings.REVIEW_WINDOW_DAYS))
    return ReviewWindow(month=month, since=since, month_start=start)


def new_recipients(window: ReviewWindow) -> list[ReviewRow]:
    rows = _rows(
        "review_new_recipients",
        {
            "month": window.month,
            "month_start": window.month_start,
            "minimum": settings.REVIEW_NEW_DONORS_MIN,
        },
    )
    return [
        ReviewRow(
            pattern="new_recipient",
            title=gettext("New recipient flattred by new donors"),
            detail=ngettext(
                "%(new)d new donor of %(all)d this month",
                "%(new)d new donors of %(all)d this month",
                new,
            )
            % {"new": new, "all": donors},
            usernames=[username],
        )
        for username, new, donors in rows
    ]


def rings(window: ReviewWindow) -> list[ReviewRow]:
    rows = _rows(
        "review_rings", {"month": window.month, "max_others": settings.REVIEW_RING_MAX_OTHERS}
    )
    return [
        ReviewRow(
            pattern="ring",
            title=gettext("Mutual flattrs"),
            detail=gettext(
                "%(a)s and %(b)s flattr each other (%(a)s flattrs %(na)d recipients, %(b)s %(nb)d)"
            )
            % {"a": a, "b": b, "na": na, "nb": nb},
            usernames=[a, b],
        )
        for a, b, na, nb in rows
    ]


def card_testing(window: ReviewWindow) -> list[ReviewRow]:
    minimum = settings.REVIEW_FAILED_DEPOSITS_MIN
    found = [
        ReviewRow(
            pattern="card_testing",
            title=gettext("Failed deposits from one account"),
            detail=ngettext("%(n)d failed deposit", "%(n)d failed deposits", row.failed)
            % {"n": row.failed},
            usernames=[row.key],
        )
        for row in failed_deposits_by_account(since=window.since, minimum=minimum)
    ]
    by_network = failed_deposits_by_network(since=window.since, minimum=minimum)
    usernames = usernames_on_networks([row.key for row in by_network])
    found += [
        ReviewRow(
            pattern="card_testing",
            title=gettext("Failed deposits from one network"),
            detail=ngettext(
                "%(n)d failed deposits from %(accounts)d account on %(network)s",
                "%(n)d failed deposits from %(accounts)d accounts on %(network)s",
                row.accounts,
            )
            % {"n": row.failed, "accounts": row.accounts, "network": row.key},
            usernames=usernames[row.key],
            query=row.key,
        )
        for row in by_network
    ]
    return found


def signups(window: ReviewWindow) -> list[ReviewRow]:
    hours = settings.REVIEW_SIGNUP_BURST_HOURS
    bursts = signup_bursts(
        since=window.since, hours=hours, minimum=settings.REVIEW_SIGNUP_BURST_MIN
    )
    usernames = usernames_on_networks([burst.network for burst in bursts])
    return [
        ReviewRow(
            pattern="signup_burst",
            title=gettext("Sign-up burst from one network"),
            detail=ngettext(
                "%(n)d sign-ups within %(hours)d hour from %(network)s",
                "%(n)d sign-ups within %(hours)d hours from %(network)s",
                hours,
            )
            % {"n": burst.busiest, "hours": hours, "network": burst.network},
            usernames=usernames[burst.network],
            query=burst.network,
        )
        for burst in bursts
    ]


CORE_CHECKS = (new_recipients, rings, card_testing, signups)


def review_rows(window: ReviewWindow) -> list[ReviewRow]:
    """Return every finding of the window: core's patterns, then the platforms'."""
    found: list[ReviewRow] = []
    for check in (*CORE_CHECKS, *review_checks()):
        found.extend(check(window))
    return found
