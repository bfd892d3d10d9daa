"""The one months module: month edges, leap years, and "which month" in the site's timezone."""

import datetime as dt
import zoneinfo

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from payments.months import (
    month_add,
    month_end,
    month_label,
    month_next,
    month_previous,
    month_start,
)


def test_month_start_is_the_first_day_of_a_dates_month():
    assert month_start(dt.date(2026, 11, 30)) == dt.date(2026, 11, 1)
    assert month_start(dt.date(2026, 11, 1)) == dt.date(2026, 11, 1)


def test_next_and_previous_cross_the_year():
    assert month_next(dt.date(2026, 12, 31)) == dt.date(2027, 1, 1)
    assert month_previous(dt.date(2027, 1, 15)) == dt.date(2026, 12, 1)
    assert month_add(dt.date(2026, 11, 1), 14) == dt.date(2028, 1, 1)
    assert month_add(dt.date(2026, 3, 1), -15) == dt.date(2024, 12, 1)
    assert month_add(dt.date(2026, 3, 1), 0) == dt.date(2026, 3, 1)


def test_month_end_knows_leap_years():
    assert month_end(dt.date(2028, 2, 3)) == dt.date(2028, 2, 29)
    assert month_end(dt.date(2026, 2, 3)) == dt.date(2026, 2, 28)
    assert month_end(dt.date(2100, 2, 1)) == dt.date(2100, 2, 28)  # not a leap year
    assert month_end(dt.date(2000, 2, 1)) == dt.date(2000, 2, 29)
    assert month_end(dt.date(2026, 12, 1)) == dt.date(2026, 12, 31)


def test_an_aware_datetime_near_midnight_counts_in_the_sites_timezone():
    just_before_midnight_utc = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    with override_settings(TIME_ZONE="Europe/Berlin"), timezone.override("Europe/Berlin"):
        # 00:30 on 1 December in Berlin: already December there.
        assert month_start(just_before_midnight_utc) == dt.date(2026, 12, 1)
        assert month_previous(just_before_midnight_utc) == dt.date(2026, 11, 1)
    with timezone.override("UTC"):
        assert month_start(just_before_midnight_utc) == dt.date(2026, 11, 1)
    new_york = dt.datetime(2027, 1, 1, 3, 0, tzinfo=dt.UTC)  # still 31 December in New York
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert month_start(new_york) == dt.date(2026, 12, 1)


def test_a_naive_datetime_is_taken_as_local_time():
    assert month_start(dt.datetime(2026, 12, 31, 23, 59)) == dt.date(2026, 12, 1)


def test_without_a_value_month_start_is_this_month_in_the_sites_timezone(monkeypatch):
    now = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    with timezone.override("UTC"):
        assert month_start() == dt.date(2026, 12, 1)
    with timezone.override("Europe/Berlin"):
        assert month_start() == dt.date(2027, 1, 1)


@pytest.mark.parametrize(("language", "label"), [("en", "November 2026"), ("de", "November 2026")])
def test_month_label_uses_the_languages_year_month_format(language, label):
    with translation.override(language):
        assert month_label(dt.date(2026, 11, 17)) == label


def test_month_label_translates_the_month_name():
    with translation.override("de"):
        assert month_label(dt.date(2026, 3, 1)) == "März 2026"
    with translation.override("en"):
        assert month_label(dt.date(2026, 3, 1)) == "March 2026"
