"""Calendar months, the unit payday, statements and budgets count in.

A month is stored and passed everywhere as the date of its first day (`Share.month`,
`Flattr.month`, `Payday.month`). "Which month is it" is answered in the site's timezone
(settings.TIME_ZONE), so a flattr at 00:30 on the 1st in Berlin belongs to the new month there
even while UTC still reads the old one. Every month calculation goes through this module, so
there is one answer to that question.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils import formats, timezone


def month_start(value: dt.date | dt.datetime | None = None) -> dt.date:
    """Return the first day of the month of `value` (today by default).

    An aware datetime is read in the site's timezone first; a naive one is taken as already
    being local time.
    """
    if value is None:
        day = timezone.localdate()
    elif isinstance(value, dt.datetime):
        day = (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    else:
        day = value
    return day.replace(day=1)


def month_add(month: dt.date | dt.datetime, months: int) -> dt.date:
    """Return the first day of the month `months` after (negative: before) `month`'s."""
    first = month_start(month)
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_next(month: dt.date | dt.datetime) -> dt.date:
    """Return the first day of the month after `month`'s."""
    return month_add(month, 1)


def month_previous(month: dt.date | dt.datetime) -> dt.date:
    """Return the first day of the month before `month`'s."""
    return month_add(month, -1)


def month_end(month: dt.date | dt.datetime) -> dt.date:
    """Return the last day of `month`'s month (29 February in a leap year)."""
    first = month_start(month)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_label(month: dt.date | dt.datetime) -> str:
    """Return the month as people read it in the active language ("November 2026").

    Uses Django's localised YEAR_MONTH_FORMAT, as the `date:"YEAR_MONTH_FORMAT"` filter does in
    templates.
    """
    return formats.date_format(month_start(month), "YEAR_MONTH_FORMAT")
