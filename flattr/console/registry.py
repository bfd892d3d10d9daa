"""What platform apps add to the console, registered in their AppConfig.ready.

Core never names a platform app: a platform registers a review check (a pattern on its own
rows, e.g. a claimer who shares a network with the pool's donors) and a support finder (a
user from a handle or a profile URL), and the console calls whatever is registered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReviewRow:
    """One finding on the fraud review page: which pattern, in words, and who to look at."""

    pattern: str  # a stable code: new_recipient, ring, claimer_shared, card_testing, signup_burst
    title: str
    detail: str
    usernames: list[str] = field(default_factory=list)  # each links to the support page
    query: str = ""  # what the row's link searches the support page for (a network, a handle)


@dataclass(frozen=True)
class ReviewWindow:
    month: dt.date  # the month whose flattrs are looked at
    since: dt.datetime  # sign-ups, deposits and claims from this moment on
    month_start: dt.datetime  # the month's first moment, in the site's timezone


ReviewCheck = Callable[[ReviewWindow], list[ReviewRow]]
SupportFinder = Callable[[str], list[int]]  # a search term -> user ids (empty: not mine)

_review_checks: dict[str, ReviewCheck] = {}
_support_finders: dict[str, SupportFinder] = {}


def review_check_register(name: str, check: ReviewCheck) -> None:
    """Add a pattern to the fraud review page (registering a name again replaces it)."""
    _review_checks[name] = check


def support_finder_register(name: str, finder: SupportFinder) -> None:
    """Let the support search find users by a platform's handles or URLs."""
    _support_finders[name] = finder


def review_checks() -> list[ReviewCheck]:
    return list(_review_checks.values())


def support_finders() -> list[SupportFinder]:
    return list(_support_finders.values())
