"""The embeddable button: loader, iframe, badge and counts — cacheable, cheap, frameable."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from flattr import selectors
from flattr.models import Thing
from flattr.selectors import BUTTON_LOCAL_CACHE, LocalCache, thing_flattr_count
from flattr.services import flattr_add, flattr_remove, thing_update
from tests.factories import fund_user, make_user

pytestmark = pytest.mark.django_db

BUTTON = "/button/view/"


def button_params(thing, **extra):
    return {"uid": thing.owner.username, "url": thing.url, "title": thing.title, **extra}


def test_the_loader_is_served_at_both_flattr_paths_with_caching_headers(client):
    for path in ("/js/load.js", "/js/0.6/load.js"):
        response = client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/javascript")
        assert "max-age=86400" in response["Cache-Control"]
        assert "public" in response["Cache-Control"]
        assert response["ETag"]
        body = response.content.decode()
        assert "FlattrLoader" in body and "FlattrButton" in body
        again = client.get(path, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
        assert again.content == b""


def test_the_button_iframe_shows_the_count_and_may_be_framed_anywhere(client, thing, donor):
    flattr_add(donor=donor, thing=thing)
    response = client.get(BUTTON, button_params(thing))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'class="fb-count"[^>]*>1<', html)
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    assert response["ETag"]
    assert f"/flattr/confirm/?thing={thing.pk}" in html
    assert "Set-Cookie" not in response


def test_every_other_page_refuses_to_be_framed(client, thing):
    for path in (thing.get_absolute_url(), reverse("explore"), "/flattr/confirm/?thing=1"):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], path


def test_the_compact_button_is_the_compact_layout(client, thing):
    html = client.get(BUTTON, button_params(thing, button="compact")).content.decode()
    assert 'class="fb fb-compact"' in html


def test_a_conditional_get_of_the_button_is_answered_304(client, thing):
    first = client.get(BUTTON, button_params(thing))
    again = client.get(BUTTON, button_params(thing), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert "max-age=60" in again["Cache-Control"]


def test_a_new_flattr_changes_the_etag_and_the_count(
    client, thing, donor, django_capture_on_commit_callbacks
):
    first = client.get(BUTTON, button_params(thing))
    with django_capture_on_commit_callbacks(execute=True):
        flattr_add(donor=donor, thing=thing)
    again = client.get(BUTTON, button_params(thing), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert re.search(r'class="fb-count"[^>]*>1<', again.content.decode())


def test_a_cached_button_costs_no_query_and_a_miss_exactly_one(
    client, thing, django_assert_num_queries
):
    params = button_params(thing)
    with django_assert_num_queries(1):
        assert client.get(BUTTON, params).status_code == 200
    BUTTON_LOCAL_CACHE.clear()  # the next answer comes from the shared cache (Redis) …
    with django_assert_num_queries(0):
        assert client.get(BUTTON, params).status_code == 200
    with django_assert_num_queries(0):  # … and the one after from process memory
        assert client.get(BUTTON, params).status_code == 200


def test_the_in_process_button_cache_forgets_after_its_ttl(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    local = LocalCache(ttl=1.0, max_entries=2)
    local.set("a", 1)
    assert local.get("a") == 1
    local.set("b", 2)
    local.set("c", 3)  # full: starts over rather than growing
    assert local.get("a") is None and local.get("c") == 3
    clock[0] += 1.01
    assert local.get("c") is None


@pytest.mark.parametrize(
    "path",
    ["/button/badge.svg", "/button/count.json"],
)
def test_badges_and_counts_by_url_cost_one_query_on_a_miss_and_none_on_a_hit(
    client, thing, django_assert_num_queries, path
):
    params = {"uid": thing.owner.username, "url": thing.url}
    with django_assert_num_queries(1):
        assert client.get(path, params).status_code == 200
    with django_assert_num_queries(0):
        response = client.get(path, params)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and response["ETag"]
    assert client.get(path, params, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


@pytest.mark.parametrize("name", ["badge_by_id", "count_by_id"])
def test_badges_and_counts_by_id_cost_one_query_on_a_miss_and_none_on_a_hit(
    client, thing, django_assert_num_queries, name
):
    path = reverse(name, kwargs={"thing_id": thing.pk})
    with django_assert_num_queries(1):
        assert client.get(path).status_code == 200
    with django_assert_num_queries(0):
        response = client.get(path)
    assert client.get(path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_the_count_json_is_public_data_for_any_origin(client, thing, donor):
    flattr_add(donor=donor, thing=thing)
    response = client.get(reverse("count_by_id", kwargs={"thing_id": thing.pk}))
    assert response.json() == {"thing": thing.pk, "count": 1}
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_badge_is_an_svg_with_the_count(client, thing, donor):
    flattr_add(donor=donor, thing=thing)
    response = client.get(reverse("badge_by_id", kwargs={"thing_id": thing.pk}))
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert svg.startswith("<svg") and ">1</text>" in svg and "flattr" in svg


def test_badges_of_unknown_or_banned_things_are_not_found(client, thing):
    assert client.get("/thing/999999/badge.svg").status_code == 404
    assert client.get("/thing/99999999999999999999999/badge.svg").status_code == 404
    Thing.objects.filter(pk=thing.pk).update(banned=True)
    cache.clear()
    assert client.get(reverse("badge_by_id", kwargs={"thing_id": thing.pk})).status_code == 404


def test_a_button_for_a_url_not_yet_submitted_shows_zero_and_leads_to_auto_submit(
    client, publisher
):
    response = client.get(
        BUTTON, {"uid": "PAT", "url": "https://pat.example.org/new", "title": "New post"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'class="fb-count"[^>]*>0<', html)
    assert "/flattr/confirm/?user_id=PAT&amp;url=https%3A%2F%2Fpat.example.org%2Fnew" in html


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"uid": "pat"}, 400),
        ({"uid": "pat", "url": "javascript:alert(1)"}, 400),
        ({"uid": "pat", "url": "data:text/html,hi"}, 400),
        ({"uid": "nobody-here", "url": "https://example.org/"}, 404),
        ({"uid": "x" * 5000, "url": "https://example.org/"}, 400),
        ({"uid": "pat", "url": "https://example.org/\x00"}, 400),
    ],
)
def test_broken_button_parameters_get_a_clear_4xx(client, publisher, params, status):
    assert client.get(BUTTON, params).status_code == status
    assert client.get("/button/badge.svg", params).status_code == status


def test_hostile_titles_are_escaped_in_the_iframe(client, publisher):
    html = client.get(
        BUTTON,
        {"uid": "pat", "url": "https://pat.example.org/x", "title": '"><script>alert(1)</script>'},
    ).content.decode()
    assert "<script>alert(1)" not in html


def test_removing_a_flattr_updates_the_cached_count(
    client, thing, donor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        flattr = flattr_add(donor=donor, thing=thing)
    assert client.get(f"/thing/{thing.pk}/count.json").json()["count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        flattr_remove(donor=donor, flattr_id=flattr.pk)
    assert client.get(f"/thing/{thing.pk}/count.json").json()["count"] == 0
    assert thing_flattr_count(thing.pk) == 0


def test_changing_a_things_url_moves_its_button(
    client, thing, publisher, django_capture_on_commit_callbacks
):
    old = {"uid": "pat", "url": thing.url}
    assert client.get("/button/count.json", old).json()["thing"] == thing.pk
    with django_capture_on_commit_callbacks(execute=True):
        thing_update(thing=thing, actor=publisher, url="https://pat.example.org/moved")
    assert client.get("/button/count.json", old).json()["thing"] is None
    moved = {"uid": "pat", "url": "https://pat.example.org/moved"}
    assert client.get("/button/count.json", moved).json()["thing"] == thing.pk


def test_a_closed_things_button_is_greyed_out_and_a_hidden_ones_is_not(client, thing, publisher):
    thing_update(thing=thing, actor=publisher, hidden=True)
    cache.clear()
    assert "fb-off" not in client.get(BUTTON, button_params(thing)).content.decode()
    Thing.objects.filter(pk=thing.pk).update(closed=True)
    cache.clear()
    BUTTON_LOCAL_CACHE.clear()
    html = client.get(BUTTON, button_params(thing)).content.decode()
    assert "fb-off" in html


@pytest.mark.redis
def test_counts_live_in_the_real_redis_and_are_invalidated_on_flattr(
    client, thing, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    assert isinstance(caches["default"], RedisCache)
    params = button_params(thing)
    client.get(BUTTON, params)
    BUTTON_LOCAL_CACHE.clear()
    with django_assert_num_queries(0):
        client.get(BUTTON, params)
    donor = fund_user(make_user())
    with django_capture_on_commit_callbacks(execute=True):
        flattr_add(donor=donor, thing=thing)
    with django_assert_num_queries(1):
        html = client.get(BUTTON, params).content.decode()
    assert re.search(r'class="fb-count"[^>]*>1<', html)


def test_a_twitter_handle_on_the_button_loads_the_twitter_apps_hook(client, thing):
    html = client.get(BUTTON, button_params(thing, twitter="@carol")).content.decode()
    assert 'data-twitter="carol"' in html
    assert "js/twitter_button.js" in html
    assert "twitter=carol" in html  # passed on to the confirmation


def test_a_button_for_a_twitter_account_alone_opens_the_confirmation_window_for_it(client):
    # Issue #14 changed this: it opened the whole account page (?from=button) before.
    response = client.get(BUTTON, {"twitter": "carol", "button": "compact"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/flattr/confirm/?twitter=carol"' in html
    assert "js/twitter_button.js" in html


def test_an_invalid_twitter_handle_is_ignored(client, thing):
    html = client.get(BUTTON, button_params(thing, twitter="<script>")).content.decode()
    assert (
        "data-twitter" not in html and "<script>" not in html.split("</title>")[1].split('src="')[0]
    )


def test_caches_may_ask_with_head(client, thing):
    assert client.head(BUTTON, button_params(thing)).status_code == 200
    assert client.head("/js/load.js").status_code == 200
    assert client.post(BUTTON, button_params(thing)).status_code == 405
