"""Statements: where a donor's money went each month; a recipient's income, charted."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from payments.models import Share
from payments.months import month_add, month_previous
from payments.payday import payday_run
from tests.factories import make_user
from tests.payments.payday_data import MONTH, make_donor, make_flattr, make_thing

pytestmark = pytest.mark.django_db
STATEMENTS = reverse("payments:statements")
INCOME = reverse("payments:income")


def test_a_donor_sees_where_the_money_went_with_each_thing_and_the_fee(client):
    donor = make_donor(budget=1000, funds=300, earnings=2000, use_earnings=True)
    podcast = make_thing(title="A podcast")
    held = make_thing(pool_label="@someone", title="Someone on X")
    make_flattr(donor, podcast)
    make_flattr(donor, held)
    payday_run(month=MONTH)
    client.force_login(donor)

    response = client.get(STATEMENTS)

    html = response.content.decode()
    assert response.status_code == 200
    assert "March 2025" in html
    assert podcast.title in html and held.title in html
    assert re.search(r'data-testid="taken">€10.00<', html)
    assert re.search(r'data-testid="fee">€1.00<', html)
    assert re.search(r'data-testid="given">€9.00<', html)
    assert "€3.00 from funds, €7.00 from earnings" in html
    assert html.count("€4.50") == 2
    assert "held until the owner claims it" in html
    assert " style=" not in html  # CSP: no inline styles


def test_the_statement_shows_the_chosen_month_and_offers_the_others(client):
    donor = make_donor(budget=500, funds=5000)
    april = month_add(MONTH, 1)
    make_flattr(donor, make_thing(title="March thing"))
    make_flattr(donor, make_thing(title="April thing"), month=april)
    payday_run(month=MONTH)
    payday_run(month=april)
    client.force_login(donor)

    latest = client.get(STATEMENTS).content.decode()
    march = client.get(STATEMENTS, {"month": "2025-03"}).content.decode()

    assert "April thing" in latest and "March thing" not in latest
    assert "March thing" in march and "April thing" not in march
    assert 'value="2025-03"' in latest and 'value="2025-04"' in latest


def test_a_charity_month_says_so(client):
    donor = make_donor(budget=500, funds=5000, unused_to_charity=True)
    make_flattr(make_donor(budget=500, funds=500), make_thing())
    payday_run(month=MONTH)
    client.force_login(donor)
    html = client.get(STATEMENTS).content.decode()
    assert re.search(r'data-testid="charity">€5.00<', html)
    assert "give your budget to charity" in html


def test_a_donor_without_paydays_sees_what_to_do(client):
    client.force_login(make_user())
    response = client.get(STATEMENTS)
    assert response.status_code == 200
    assert "Flattr something this month" in response.content.decode()


@pytest.mark.parametrize("url", [STATEMENTS, INCOME])
def test_a_month_that_is_not_a_month_is_a_clear_400(client, url):
    client.force_login(make_user())
    response = client.get(url, {"month": "last-tuesday"})
    assert response.status_code == 400
    assert "is not a month" in response.content.decode()


@pytest.mark.parametrize("url", [STATEMENTS, INCOME])
def test_statements_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]


def _recent_income():
    """A publisher paid in the last two closed months: €9.00 then €4.50."""
    last = month_previous(timezone.now().date())
    before = month_add(last, -1)
    publisher = make_user()
    blog = make_thing(owner=publisher, title="The blog")
    video = make_thing(owner=publisher, title="The video")
    donor = make_donor(budget=1000, funds=10_000)
    make_flattr(donor, blog, month=before)
    make_flattr(donor, blog, month=last)
    make_flattr(donor, video, month=last)
    payday_run(month=before)
    payday_run(month=last)
    return publisher, last, before


def test_a_recipient_sees_income_per_month_and_a_twelve_month_svg_chart(client):
    publisher, last, _ = _recent_income()
    client.force_login(publisher)

    response = client.get(INCOME)

    html = response.content.decode()
    assert response.status_code == 200
    svg = html[html.index("<svg") : html.index("</svg>")]
    bars = re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', svg)
    assert len(bars) == 12
    heights = [float(h) for _, h in bars]
    assert heights[-2:] == [heights[-1], heights[-1]]  # €9.00 in each of the last two months
    assert heights[-1] > 0 and heights[:-2] == [0.0] * 10
    assert f"{last:%B %Y}: €9.00" in svg
    assert re.search(r'data-testid="year-income">€18.00<', html)
    assert "The blog" in html and "The video" in html
    assert " style=" not in html


def test_income_per_thing_for_one_month(client):
    publisher, _, before = _recent_income()
    client.force_login(publisher)
    html = client.get(INCOME, {"month": f"{before:%Y-%m}"}).content.decode()
    things = html[html.index('id="things-h"') :]
    assert "The blog" in things and "The video" not in things
    assert "€9.00" in things


def test_claimed_shares_count_as_the_claimers_income(client):
    publisher = make_user()
    account_thing = make_thing(pool_label="@publisher")
    donor = make_donor(budget=1000, funds=1000)
    last = month_previous(timezone.now().date())
    make_flattr(donor, account_thing, month=last)
    payday_run(month=last)
    # What a claim does (twitter_claims): re-point the thing, mark its held shares claimed.
    from payments.services import user_account

    account_thing.payee = user_account(publisher, "earnings")
    account_thing.owner = publisher
    account_thing.save()
    Share.objects.filter(thing=account_thing).update(state=Share.State.CLAIMED)
    client.force_login(publisher)

    html = client.get(INCOME).content.decode()

    assert re.search(r'data-testid="total-income">€9.00<', html)


def test_the_statement_pages_cost_a_handful_of_queries(client, django_assert_max_num_queries):
    publisher, _, _ = _recent_income()
    donor = make_donor(budget=1000, funds=1000)
    for _ in range(20):
        make_flattr(donor, make_thing(), month=month_previous(timezone.now().date()))
    client.force_login(donor)
    with django_assert_max_num_queries(12):
        client.get(STATEMENTS)
    client.force_login(publisher)
    with django_assert_max_num_queries(12):
        client.get(INCOME)


def test_the_statement_speaks_german_with_german_money(client):
    donor = make_donor(budget=1000, funds=1000)
    make_flattr(donor, make_thing())
    payday_run(month=MONTH)
    client.force_login(donor)
    html = client.get(STATEMENTS, headers={"accept-language": "de"}).content.decode()
    assert "Wohin dein Geld ging" in html
    assert re.search(r'data-testid="taken">10,00\xa0€<', html)
