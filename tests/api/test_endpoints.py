"""Every endpoint over HTTP with Bearer tokens: objects, status codes and documented errors."""

import json

import pytest

from flattr.models import Flattr, Subscription, Thing
from tests.api.conftest import ApiClient, token_for
from tests.factories import fund_user, make_thing, make_user

pytestmark = pytest.mark.django_db


def test_thing_is_flattrs_full_object(api, thing):
    body = api.get(f"/rest/v2/things/{thing.pk}").json()
    assert body["type"] == "thing" and body["id"] == thing.pk
    assert body["resource"] == f"http://testserver/rest/v2/things/{thing.pk}"
    assert body["tags"] == ["music", "live"] and body["hidden"] is False
    assert body["owner"] == {
        "type": "user",
        "resource": "http://testserver/rest/v2/users/pat",
        "link": "http://testserver/pat/",
        "username": "pat",
    }
    assert "flattred" not in body  # no token, no viewer fields


def test_several_things_and_unknown_ones(api, thing):
    other = make_thing(owner=thing.owner)
    body = api.get(f"/rest/v2/things/{other.pk},{thing.pk},999999").json()
    assert [t["id"] for t in body] == [other.pk, thing.pk]
    missing = api.get("/rest/v2/things/999999")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_flattr_then_flattr_once_owner_and_no_means(donor_api, publisher_api, thing, donor):
    answer = donor_api.post(f"/rest/v2/things/{thing.pk}/flattr")
    assert answer.status_code == 200
    assert answer.json()["description"] == "Thing was successfully flattred"
    assert answer.json()["thing"]["flattrs"] == 1
    assert Flattr.objects.filter(donor=donor, thing=thing, source="api").count() == 1
    again = donor_api.post(f"/rest/v2/things/{thing.pk}/flattr/")
    assert again.status_code == 403 and again.json()["error"] == "flattr_once"
    own = publisher_api.post(f"/rest/v2/things/{thing.pk}/flattr")
    assert own.status_code == 403 and own.json()["error"] == "flattr_owner"
    broke = ApiClient(token_for(make_user()))
    poor = broke.post(f"/rest/v2/things/{thing.pk}/flattr")
    assert poor.status_code == 401 and poor.json()["error"] == "no_means"
    viewed = donor_api.get(f"/rest/v2/things/{thing.pk}").json()
    assert viewed["flattred"] is True and viewed["subscribed"] is False


def test_flattr_by_url_and_auto_submit_creates_the_thing(donor_api, thing, publisher):
    assert donor_api.post("/rest/v2/flattr", {"url": thing.url}).status_code == 200
    auto = "https://flattr.com/submit/auto?user_id=pat&url=https://pat.example.org/ep-9&title=Episode+nine"
    answer = donor_api.post(
        "/rest/v2/flattr/", json.dumps({"url": auto}), content_type="application/json"
    )
    assert answer.status_code == 200, answer.json()
    created = Thing.objects.get(owner=publisher, url="https://pat.example.org/ep-9")
    assert answer.json()["thing"]["id"] == created.pk
    unknown = donor_api.post("/rest/v2/flattr", {"url": "https://nowhere.example.org/x"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    missing = donor_api.post("/rest/v2/flattr", {})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_lookup_302_and_404(api, thing):
    found = api.get("/rest/v2/things/lookup/", {"url": thing.url})
    assert found.status_code == 302
    assert found["Location"] == f"http://testserver/rest/v2/things/{thing.pk}"
    assert found.json() == {"message": "found", "location": found["Location"]}
    auto = f"http://flattr.com/submit/auto?user_id=pat&url={thing.url}&title=x"
    assert api.get("/rest/v2/things/lookup", {"url": auto}).status_code == 302
    missing = api.get("/rest/v2/things/lookup", {"url": "https://nowhere.example.org/"}).json()
    assert missing["error"] == "not_found" and missing["message"] == "not_found"
    assert missing["description"] == "No thing was found"


def test_create_update_delete(publisher_api, publisher, donor_api):
    created = publisher_api.post(
        "/rest/v2/things/", {"url": "https://pat.example.org/new", "tags": "a, b"}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["message"] == "ok" and body["description"] == "Thing was created successfully"
    thing = Thing.objects.get(pk=body["id"])
    assert thing.title == "https://pat.example.org/new" and thing.tags == ["a", "b"]
    assert thing.category == "rest" and thing.language == "en_GB"
    bad = publisher_api.post("/rest/v2/things", {"url": "not a url"})
    assert bad.status_code == 400 and bad.json()["error"] == "validation"
    patched = publisher_api.patch(
        f"/rest/v2/things/{thing.pk}",
        json.dumps({"title": "A better title"}),
        content_type="application/json",
    )
    assert patched.json() == {"message": "ok", "description": "Thing was updated correctly"}
    via_post = publisher_api.post(
        f"/rest/v2/things/{thing.pk}/", {"_method": "patch", "hidden": "1"}
    )
    assert via_post.status_code == 200
    thing.refresh_from_db()
    assert thing.title == "A better title" and thing.hidden is True
    other = donor_api.patch(
        f"/rest/v2/things/{thing.pk}",
        "title=Mine+now",
        content_type="application/x-www-form-urlencoded",
    )
    # Hidden is only unlisted (as on Flattr): others still see the thing, but may not change it.
    assert other.status_code == 403 and other.json()["error"] == "thing_owner"
    assert publisher_api.delete(f"/rest/v2/things/{thing.pk}").status_code == 204
    assert not Thing.objects.filter(pk=thing.pk).exists()


def test_not_the_owner_gets_thing_owner(donor_api, thing):
    answer = donor_api.delete(f"/rest/v2/things/{thing.pk}")
    assert answer.status_code == 403 and answer.json()["error"] == "thing_owner"


def test_delete_of_a_flattred_thing_hides_it(publisher_api, donor_api, thing, api):
    donor_api.post(f"/rest/v2/things/{thing.pk}/flattr")
    assert publisher_api.delete(f"/rest/v2/things/{thing.pk}").status_code == 204
    assert api.get(f"/rest/v2/things/{thing.pk}").status_code == 404
    thing.refresh_from_db()
    assert thing.closed  # hidden alone would only unlist it; a deleted thing takes no flattrs


def test_search_tags_sort_and_paging(api, publisher):
    make_thing(owner=publisher, title="Game one", tags="game,software")
    two = make_thing(owner=publisher, title="Game two", tags="games")
    three = make_thing(owner=publisher, title="Photo", tags="photo,flickr", category="images")
    body = api.get("/rest/v2/things/search", {"tags": "game | games ! software"}).json()
    assert [t["id"] for t in body["things"]] == [two.pk]
    assert body["total_items"] == 1 and body["items"] == 1 and body["page"] == 1
    assert [
        t["id"]
        for t in api.get("/rest/v2/things/search", {"tags": "photo & flickr"}).json()["things"]
    ] == [three.pk]
    assert (
        api.get("/rest/v2/things/search", {"category": "images,video"}).json()["total_items"] == 1
    )
    paged = api.get("/rest/v2/things/search", {"count": "2", "page": "2", "sort": "flattrs"}).json()
    assert paged["total_items"] == 3 and paged["items"] == 1 and paged["page"] == 2
    junk = api.get("/rest/v2/things/search?count=&page=undefined&full=False&sort=nonsense").json()
    assert junk["total_items"] == 3 and junk["page"] == 1


def test_users_and_their_lists(api, donor_api, thing, donor):
    donor_api.post(f"/rest/v2/things/{thing.pk}/flattr")
    user = api.get("/rest/v2/users/pat").json()
    assert user["username"] == "pat" and user["firstname"] == "Pat" and "email" not in user
    assert [t["id"] for t in api.get("/rest/v2/users/pat/things").json()] == [thing.pk]
    flattrs = api.get("/rest/v2/users/anna/flattrs").json()
    assert flattrs[0]["type"] == "flattr" and flattrs[0]["thing"]["owner"]["username"] == "pat"
    full = api.get("/rest/v2/users/anna/flattrs?full").json()
    assert full[0]["thing"]["tags"] == ["music", "live"] and "firstname" in full[0]["owner"]
    assert api.get(f"/rest/v2/things/{thing.pk}/flattrs").json()[0]["owner"]["username"] == "anna"
    assert api.get("/rest/v2/users/nobody").json()["error"] == "not_found"
    activities = api.get("/rest/v2/users/pat/activities", {"type": "incoming"}).json()["items"]
    assert activities[0]["verb"] == "like" and activities[0]["actor"]["displayName"] == "anna"


def test_the_authenticated_user(donor_api, donor, thing):
    me = donor_api.get("/rest/v2/user").json()
    assert me["username"] == "anna" and me["email"] == donor.email and "registered_at" in me
    donor_api.post(f"/rest/v2/things/{thing.pk}/flattr")
    assert len(donor_api.get("/rest/v2/user/flattrs").json()) == 1
    stream = donor_api.get(
        "/rest/v2/user/activities?type=outgoing", headers={"Accept": "application/stream+json"}
    )
    assert stream["Content-Type"].startswith("application/stream+json")
    assert stream.json()["items"][0]["object"]["displayName"] == thing.title


def test_subscriptions_post_put_delete(donor_api, donor, thing):
    subscribed = donor_api.post(f"/rest/v2/things/{thing.pk}/subscriptions")
    assert subscribed.json()["description"] == "Successfully subscribed to Thing"
    again = donor_api.post(f"/rest/v2/things/{thing.pk}/subscriptions")
    assert again.status_code == 403 and again.json()["error"] == "subscribed"
    listed = donor_api.get("/rest/v2/user/subscriptions").json()
    assert listed[0]["type"] == "subscription" and listed[0]["active"] is True
    assert donor_api.put(f"/rest/v2/things/{thing.pk}/subscriptions").json()["message"] == "paused"
    assert donor_api.get("/rest/v2/user/subscriptions").json()[0]["active"] is False
    assert donor_api.put(f"/rest/v2/things/{thing.pk}/subscriptions").json()["message"] == "started"
    assert donor_api.delete(f"/rest/v2/things/{thing.pk}/subscriptions").status_code == 204
    assert not Subscription.objects.filter(donor=donor, cancelled_at__isnull=True).exists()


def test_categories_languages_rate_limit(api):
    categories = api.get("/rest/v2/categories").json()
    assert {"id": "rest", "text": "Other", "name": "Other"} in categories
    assert {"id": "de_DE", "text": "German"} in api.get("/rest/v2/languages").json()
    api.get("/rest/v2/categories")
    limit = api.get("/rest/v2/rate_limit").json()
    assert limit["hourly_limit"] == 1000 and limit["current_hits"] == 3
    assert limit["remaining_hits"] == 997


def test_scopes(thing, publisher):
    reader = fund_user(make_user())
    no_flattr = ApiClient(token_for(reader, "thing email"))
    assert (
        no_flattr.post(f"/rest/v2/things/{thing.pk}/flattr").json()["error"] == "insufficient_scope"
    )
    assert no_flattr.post("/rest/v2/flattr", {"url": thing.url}).status_code == 403
    assert no_flattr.post(f"/rest/v2/things/{thing.pk}/subscriptions").status_code == 403
    assert no_flattr.get("/rest/v2/user/subscriptions").status_code == 403
    no_thing = ApiClient(token_for(publisher, "flattr"))
    assert (
        no_thing.post("/rest/v2/things", {"url": "https://pat.example.org/z"}).json()["error"]
        == "insufficient_scope"
    )
    assert (
        no_thing.patch(
            f"/rest/v2/things/{thing.pk}",
            "title=Hello+there",
            content_type="application/x-www-form-urlencoded",
        ).status_code
        == 403
    )
    assert no_thing.delete(f"/rest/v2/things/{thing.pk}").status_code == 403
    assert Thing.objects.filter(pk=thing.pk).exists()
    me = no_thing.get("/rest/v2/user").json()
    assert "email" not in me and "registered_at" not in me
    assert (
        ApiClient(token_for(publisher, "email")).get("/rest/v2/user").json()["email"]
        == publisher.email
    )
    commas = ApiClient(token_for(publisher, "flattr,thing"))
    assert commas.post("/rest/v2/things", {"url": "https://pat.example.org/z"}).status_code == 201
