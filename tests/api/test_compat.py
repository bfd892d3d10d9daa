"""What published clients do, beyond the main endpoints: untitled auto-submit URLs, JSONP
lookups that follow the redirect, Flattr's activity formats, and query budgets."""

import pytest

from flattr.models import Thing

pytestmark = pytest.mark.django_db


def test_flattr_an_auto_submit_url_without_title_as_flattrs_docs_show(donor_api, publisher):
    url = "http://flattr.com/submit/auto?url=http%3A%2F%2Fpat.example.org%2Funtitled&user_id=pat"
    answer = donor_api.post("/rest/v2/flattr", {"url": url})
    assert answer.status_code == 200, answer.json()
    thing = Thing.objects.get(owner=publisher, url="http://pat.example.org/untitled")
    assert thing.title == "http://pat.example.org/untitled"
    assert donor_api.post("/rest/v2/flattr", {}).json()["error"] == "invalid_request"


def test_jsonp_lookup_keeps_the_callback_through_the_redirect(api, thing):
    answer = api.get("/rest/v2/things/lookup/", {"q": thing.url, "jsonp": "jQuery1_2"})
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"/rest/v2/things/{thing.pk}?jsonp=jQuery1_2")
    followed = api.get(answer["Location"])
    assert followed.content.decode().startswith("/**/jQuery1_2(")


def test_lookup_followed_gives_the_count_like_shariff_reads_it(api, donor_api, thing):
    donor_api.post(f"/rest/v2/things/{thing.pk}/flattr")
    followed = api.get("/rest/v2/things/lookup/", {"url": thing.url}, follow=True)
    assert followed.status_code == 200 and followed.json()["flattrs"] == 1


def test_subscribing_to_your_own_thing_is_thing_owner(publisher_api, thing):
    answer = publisher_api.post(f"/rest/v2/things/{thing.pk}/subscriptions")
    assert answer.status_code == 403 and answer.json()["error"] == "thing_owner"


def test_activity_formats(api, donor_api, thing):
    donor_api.post(f"/rest/v2/things/{thing.pk}/flattr")
    atom = api.get("/rest/v2/users/anna/activities.atom")
    assert atom["Content-Type"].startswith("application/atom+xml")
    text = atom.content.decode().replace("&#x27;", "'")
    assert "<feed" in text and thing.title in text
    stream = api.get("/rest/v2/users/anna/activities.as")
    assert stream["Content-Type"].startswith("application/stream+json")
    assert stream.json()["items"][0]["verb"] == "like"
    assert donor_api.get("/rest/v2/user/activities.as").json()["items"]


def test_query_budgets(api, donor_api, publisher, django_assert_max_num_queries):
    from tests.factories import make_thing

    things = [make_thing(owner=publisher, tags="x") for _ in range(5)]
    with django_assert_max_num_queries(2):  # the things with their counts and owners
        assert len(api.get("/rest/v2/things/search", {"tags": "x"}).json()["things"]) == 5
    with django_assert_max_num_queries(6):  # + the token, its user, the viewer's marks
        donor_api.get(f"/rest/v2/things/{things[0].pk}")
    with django_assert_max_num_queries(7):
        body = donor_api.get("/rest/v2/users/pat/things").json()
    assert len(body) == 5


def test_a_nul_character_in_search_parameters_is_no_server_error(api, thing):
    """schemathesis found a 500 here: PostgreSQL text cannot hold NUL (0x00)."""
    answer = api.get(
        "/rest/v2/things/search", {"user": "pat\x00", "query": "Pat\x00", "url": "\x00"}
    )
    assert answer.status_code == 200
    assert answer.json()["total_items"] >= 0
