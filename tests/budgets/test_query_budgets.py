"""Query budgets of the pages a user opens often.

Each page is built twice, with few and with many rows (SIZES), and must cost the same exact
number of queries both times: a count that grows with the data is an N+1. Every budget is a list
of the page's queries, in order, each named by the table it reads and what it is for; the test
checks the count (django_assert_num_queries) and that each query reads the table named.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flattr.models import Subscription
from flattr.selectors import month_start
from payments.months import month_previous
from payments.payday import payday_run
from tests.factories import make_user
from tests.payments.payday_data import MONTH, make_donor, make_flattr, make_thing
from tests.twitter_claims.journeys import donors_flattr, payday_for

pytestmark = pytest.mark.django_db
SIZES = [3, 30]


def session() -> list[str]:
    """The session row, read once per request with database sessions (no REDIS_URL); cached_db
    sessions are read from Redis, so they cost no query while Redis has them."""
    if settings.SESSION_ENGINE.endswith((".cache", ".cached_db")):
        return []
    return ["django_session: the visitor's session"]


def _table(expected: str) -> str:
    return expected.split(":", 1)[0]


@pytest.fixture
def query_budget(django_assert_num_queries):
    """`with query_budget([...]):` asserts exactly those queries run, in that order."""

    @contextmanager
    def check(expected: list[str]):
        with CaptureQueriesContext(connection) as seen:
            try:
                with django_assert_num_queries(len(expected)):
                    yield
            except pytest.fail.Exception as failed:
                listing = "\n".join(f"{i + 1}. {q['sql'][:160]}" for i, q in enumerate(seen))
                raise AssertionError(f"{failed}\n{listing}") from None
        sqls = [query["sql"] for query in seen.captured_queries]
        wrong = [
            f"{i + 1}. expected {want!r}, got {sql[:200]}"
            for i, (want, sql) in enumerate(zip(expected, sqls, strict=True))
            if not re.search(rf"\b{re.escape(_table(want))}\b", sql)
        ]
        assert not wrong, "\n".join(wrong)

    return check


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("n", SIZES)
def test_the_dashboard_costs_the_same_queries_with_3_or_30_flattrs(n, query_budget):
    donor = make_donor(budget=1000, funds=5000)
    for i in range(n):
        thing = make_thing(title=f"Flattred {i}")
        make_flattr(donor, thing, month=month_start())
        Subscription.objects.create(
            donor=donor, thing=thing, months=3, first_month=month_start(), last_month=month_start()
        )
        make_thing(owner=donor, title=f"Mine {i}")
    make_flattr(donor, make_thing(closed=True), month=month_start())
    make_flattr(donor, make_thing(pool_label="@someone"), month=month_start())
    client = logged_in(donor)
    with query_budget(
        [
            *session(),
            "accounts_user: the logged-in user",
            "flattr_flattr: this month's flattrs with their things, owners and payees",
            "payments_budget: the budget (donor_month)",
            "payments_ledgeraccount: balances, to see if the account is frozen (means_check)",
            "payments_budget: the budget again (means_check)",
            "payments_ledgeraccount: balances again (means_check's spendable_cents)",
            "payments_budget: whether earnings may be spent (means_check's spendable_cents)",
            "payments_ledgeraccount: balances again (donor_month's spendable_cents)",
            "payments_budget: whether earnings may be spent (donor_month's spendable_cents)",
            "flattr_thing: the donor's own newest things with their counts",
            "payments_ledgeraccount: the balances shown (the view)",
            "flattr_subscription: running subscriptions with their things",
        ]
    ):
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert len(response.context["month"].flattrs) == n + 2


@pytest.mark.parametrize("n", SIZES)
def test_a_thing_page_costs_the_same_queries_with_3_or_30_supporters(n, query_budget):
    thing = make_thing(title="Popular")
    for _ in range(n):
        make_flattr(make_donor(show_as_supporter=True), thing, month=month_start())
    client = logged_in(make_donor(funds=5000))
    with query_budget(
        [
            "flattr_thing: the thing with its owner",
            *session(),
            "accounts_user: the logged-in user",
            "accounts_user: the supporters who may be shown, newest first",
            "flattr_flattr: how many distinct donors gave (the others)",
            "flattr_flattr: the flattr count (a cache miss; Redis keeps it after)",
            "flattr_flattr: the viewer's flattr of it this month",
            "flattr_subscription: the viewer's running subscription to it",
        ]
    ):
        response = client.get(reverse("thing_detail", args=[thing.pk]))
    assert response.status_code == 200
    assert len(response.context["supporters"]) == n


@pytest.mark.parametrize("n", SIZES)
def test_a_flattr_post_costs_the_same_queries_with_3_or_30_flattrs_before_it(n, query_budget):
    # Asked already: the first flattr of all also records the supporter answer (one UPDATE).
    donor = make_donor(budget=1000, funds=5000, supporter_asked=True)
    for _ in range(n):
        make_flattr(donor, make_thing(), month=month_start())
    thing = make_thing(title="One more")
    for _ in range(n):
        make_flattr(make_donor(), thing, month=month_start())
    client = logged_in(donor)
    with query_budget(
        [
            *session(),
            "accounts_user: the logged-in user",
            "flattr_thing: the thing with its owner (thing_get_or_404)",
            "SAVEPOINT: flattr_add's transaction",
            "flattr_thing: the thing locked, with owner and payee",
            "flattr_flattr: whether the donor flattred it this month already",
            "payments_ledgeraccount: balances, to see if the account is frozen (means_check)",
            "payments_budget: the budget (means_check)",
            "payments_ledgeraccount: balances again (means_check's spendable_cents)",
            "payments_budget: whether earnings may be spent (spendable_cents)",
            "flattr_flattr: the new flattr (INSERT … ON CONFLICT DO NOTHING)",
            "flattr_thing: the thing's last flattr time",
            "RELEASE: the end of flattr_add's transaction",
        ]
    ):
        response = client.post(reverse("thing_flattr", args=[thing.pk]))
    assert response.status_code == 302
    assert thing.flattrs.filter(donor=donor).exists()


@pytest.mark.parametrize("n", SIZES)
def test_the_statement_costs_the_same_queries_with_3_or_30_shares(n, query_budget):
    donor = make_donor(budget=1000, funds=5000)
    for i in range(n):
        make_flattr(donor, make_thing(title=f"Thing {i}"))
    make_flattr(donor, make_thing(pool_label="@someone"))
    payday_run(month=MONTH)
    client = logged_in(donor)
    with query_budget(
        [
            *session(),
            "accounts_user: the logged-in user",
            "payments_paydaydonor: the months the donor has statements for",
            "payments_paydaydonor: the donor's snapshot of that payday",
            "payments_share: the shares with their flattrs and things",
        ]
    ):
        response = client.get(reverse("payments:statements"), {"month": "2025-03"})
    assert response.status_code == 200
    assert len(response.context["statement"].shares) == n + 1


@pytest.mark.parametrize("n", SIZES)
def test_the_income_page_costs_the_same_queries_with_3_or_30_things_and_donors(n, query_budget):
    owner = make_user()
    last = month_previous(dt.date.today())
    for i in range(n):
        thing = make_thing(owner=owner, title=f"Thing {i}")
        make_flattr(make_donor(budget=500, funds=500), thing, month=last)
    payday_run(month=last)
    client = logged_in(owner)
    with query_budget(
        [
            *session(),
            "accounts_user: the logged-in user",
            "payments_ledgeraccount: the earnings account (income_by_month)",
            "payments_share: income per month, summed in SQL",
            "payments_ledgeraccount: the earnings account (income_by_thing)",
            "payments_share: income per thing, summed in SQL",
            "payments_ledgeraccount: the earnings account (income_total)",
            "payments_share: the income of all time",
        ]
    ):
        response = client.get(reverse("payments:income"))
    assert response.status_code == 200
    assert len(response.context["by_thing"]) == n


@pytest.mark.parametrize("n", SIZES)
def test_a_twitter_account_page_costs_the_same_queries_with_3_or_30_donors(n, fake_x, query_budget):
    donors_flattr("alice", count=n)
    payday_for(MONTH)
    donors_flattr("alice", count=n)  # and as many flattrs pending this month
    client = logged_in(make_donor(funds=5000))
    with query_budget(
        [
            "twitter_claims_platformaccount: the account with its pool and thing",
            "payments_share: held cents and donors, summed in SQL",
            "payments_share: the oldest held share's payday (when it returns)",
            "payments_ledgeraccount: the pool's balance",
            # Issue #14: the page shows a donor who flattred the account this month that they
            # did (not a second offer), so the visitor is known before the flattr count, which
            # answers both in one query.
            *session(),
            "accounts_user: the logged-in user",
            "flattr_flattr: this month's pending flattrs, counted in SQL",
        ]
    ):
        response = client.get(reverse("twitter_claims:account", args=["alice"]))
    assert response.status_code == 200
    assert response.context["summary"].donors == n


@pytest.mark.parametrize("n", SIZES)
def test_explore_costs_the_same_queries_with_3_or_30_things(n, query_budget):
    for i in range(n):
        thing = make_thing(title=f"Thing {i}")
        make_flattr(make_donor(), thing, month=month_start())
    make_thing(pool_label="@someone")
    with query_budget(
        [
            "flattr_thing: how many things match (the paginator)",
            "flattr_thing: one page of things with owners and counts",
            "flattr_thing: the most used tags (explore's tag links)",
        ]
    ):
        response = Client().get(reverse("explore"))
    assert response.status_code == 200
    # Twitter/X accounts have their own list (waiting to be claimed), not explore's.
    assert len(response.context["page"].object_list) == min(n, 20)


@pytest.mark.parametrize("n", SIZES)
def test_the_admin_home_costs_the_same_queries_with_3_or_30_rows(n, query_budget):
    for _ in range(n):
        make_flattr(make_donor(), make_thing())
    payday_run(month=MONTH)
    client = logged_in(make_user(is_staff=True, is_superuser=True))
    with query_budget(
        [
            *session(),
            "accounts_user: the logged-in admin",
            "payments_payout: the oldest payouts waiting (payout queue)",
            "payments_payout: how many payouts wait",
            "payments_ledgeraccount: balances per kind (money panel)",
            "payments_transfer: transfers per kind (money panel)",
            "payments_payday: the newest payday",
            "payments_ledgeraccount: frozen accounts (negative receivables)",
            "payments_stripeevent: rejected webhook events",
            "payments_stripeevent: unmatched webhook events",
            # No ledger check is kept yet (the cache starts empty), so the panel runs one.
            "payments_ledgeraccount: ledger check, the balances sum to 0",
            "payments_transfer: ledger check, each balance equals its transfers",
            "payments_ledgeraccount: ledger check, no wallet negative",
            "payments_transfer: ledger check, no empty or circular transfer",
            "django_admin_log: the recent actions box",
        ]
    ):
        response = client.get(reverse("admin:index"))
    assert response.status_code == 200
