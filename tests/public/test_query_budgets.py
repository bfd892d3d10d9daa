"""Every public list costs the same number of queries with 3 rows as with 300."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_user
from tests.public.data import make_things

pytestmark = pytest.mark.django_db

PAGES = {
    "explore": lambda people: reverse("explore"),
    "explore new": lambda people: reverse("explore") + "?sort=new",
    "search": lambda people: reverse("explore") + "?q=honey",
    "tag": lambda people: reverse("explore_tag", args=["bees"]),
    "profile": lambda people: reverse("profile", args=[people[0].username]),
    "sitemap": lambda people: reverse("sitemap"),
    "transparency": lambda people: reverse("transparency"),
    "waiting": lambda people: reverse("twitter_claims:waiting"),
    "home": lambda people: reverse("home"),
}


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "member"])
def test_a_public_list_costs_the_same_queries_with_3_and_300_rows(client, page, signed_in):
    if signed_in:
        client.force_login(make_user())
    people, _ = make_things(3, owners=1)
    few = _queries(client, PAGES[page](people))
    make_things(297, owners=1)
    # The profile of the first owner now lists only its own 3; make it hold 300 too.
    from flattr.models import Thing

    Thing.objects.filter(url__startswith="https://example.org/bulk/").update(owner=people[0])
    many = _queries(client, PAGES[page](people))

    assert many == few, f"{page}: {few} queries with 3 rows, {many} with 300"
    assert few <= 12, f"{page} costs {few} queries"
