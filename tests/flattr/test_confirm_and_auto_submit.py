"""The confirmation window a button opens, and Flattr's auto-submit links."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from flattr.models import Flattr, Thing
from tests.factories import PASSWORD, fund_user, make_user

pytestmark = pytest.mark.django_db

CONFIRM = "/flattr/confirm/"


def auto_params(**extra):
    params = {
        "user_id": "pat",
        "url": "https://pat.example.org/episode-9",
        "title": "Episode nine",
        "description": "Bees again.",
        "language": "de_DE",
        "tags": "bees,podcast",
        "category": "audio",
        "hidden": "0",
    }
    params.update(extra)
    return params


def test_the_confirmation_keeps_its_opener_and_refuses_framing(client, thing):
    response = client.get(CONFIRM, {"thing": thing.pk})
    assert response.status_code == 200
    assert response["Cross-Origin-Opener-Policy"] == "unsafe-none"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_a_logged_out_visitor_is_offered_a_login_that_comes_back_here(client, thing):
    donor = fund_user(make_user(username="lisa"))
    html = client.get(CONFIRM, {"thing": thing.pk}).content.decode()
    login_url = (
        reverse("flattr_confirm_login") + "?" + urlencode({"next": f"{CONFIRM}?thing={thing.pk}"})
    )
    assert login_url.replace("&", "&amp;") in html

    page = client.get(login_url)
    assert page.status_code == 200
    assert page["Cross-Origin-Opener-Policy"] == "unsafe-none"
    response = client.post(login_url, {"login": "lisa", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == f"{CONFIRM}?thing={thing.pk}"
    assert response["Cross-Origin-Opener-Policy"] == "unsafe-none"
    confirm = client.get(response["Location"])
    assert confirm.context["user"] == donor
    assert "Flattr this" in confirm.content.decode()


def test_a_wrong_password_in_the_window_is_a_form_error_there(client, thing):
    make_user(username="lisa")
    login_url = reverse("flattr_confirm_login") + "?next=/flattr/confirm/%3Fthing%3D1"
    response = client.post(login_url, {"login": "lisa", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response["Cross-Origin-Opener-Policy"] == "unsafe-none"


def test_the_login_refuses_to_send_people_elsewhere(client):
    make_user(username="lisa")
    login_url = reverse("flattr_confirm_login") + "?next=https://evil.example/"
    response = client.post(login_url, {"login": "lisa", "password": PASSWORD})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_confirming_records_one_flattr_and_reports_the_new_count(client, donor, thing):
    client.force_login(donor)
    response = client.post(f"{CONFIRM}?thing={thing.pk}")
    assert response.status_code == 302
    done = client.get(response["Location"])
    html = done.content.decode()
    assert 'id="flattr-confirmed"' in html and 'data-count="1"' in html
    assert 'data-autoclose="1"' in html
    assert Flattr.objects.filter(donor=donor, thing=thing, source="button").count() == 1
    again = client.post(f"{CONFIRM}?thing={thing.pk}")
    assert "You already flattred this in" in again.content.decode()
    assert Flattr.objects.count() == 1


def test_confirming_needs_the_csrf_token(donor, thing):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(donor)
    assert strict.post(f"{CONFIRM}?thing={thing.pk}").status_code == 403
    assert not Flattr.objects.exists()


def test_a_logged_out_post_goes_to_the_login_not_to_a_flattr(client, thing):
    response = client.post(f"{CONFIRM}?thing={thing.pk}")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("flattr_confirm_login"))
    assert not Flattr.objects.exists()


def test_the_owner_is_told_they_cannot_flattr_their_own_thing(client, thing):
    client.force_login(thing.owner)
    assert "your own thing" in client.get(CONFIRM, {"thing": thing.pk}).content.decode()


def test_a_donor_without_means_is_told_how_to_get_them(client, thing):
    client.force_login(make_user())
    html = client.post(f"{CONFIRM}?thing={thing.pk}").content.decode()
    assert "set a monthly budget" in html
    assert not Flattr.objects.exists()


def test_confirming_an_auto_submit_button_creates_the_thing_with_its_first_flattr(
    client, donor, publisher
):
    client.force_login(donor)
    preview = client.get(CONFIRM, auto_params())
    assert preview.status_code == 200
    assert "Episode nine" in preview.content.decode()
    assert not Thing.objects.exists()

    response = client.post(CONFIRM + "?" + urlencode(auto_params()))

    thing = Thing.objects.get()
    assert response["Location"] == f"{CONFIRM}?thing={thing.pk}&done=1"
    assert (thing.owner, thing.category, thing.language) == (publisher, "audio", "de_DE")
    assert thing.tags == ["bees", "podcast"]
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"thing": "abc"}, 404),
        ({"thing": "99999999"}, 404),
        ({"thing": "9" * 40}, 404),
        ({}, 400),
        (auto_params(user_id="ghost"), 404),
        (auto_params(url="javascript:alert(1)"), 400),
        (auto_params(title="t" * 10_000), 400),
    ],
)
def test_a_broken_confirmation_link_gets_a_clear_4xx(client, publisher, params, status):
    assert client.get(CONFIRM, params).status_code == status


def test_auto_submit_of_an_existing_thing_shows_that_thing(client, thing):
    response = client.get(
        reverse("auto_submit"),
        auto_params(url="HTTPS://pat.EXAMPLE.org/post-1", title="Whatever the link says"),
    )
    assert response.status_code == 302
    assert response["Location"] == thing.get_absolute_url()


def test_auto_submit_of_a_new_url_shows_a_preview_and_the_first_flattr_creates_it(
    client, donor, publisher
):
    preview = client.get(reverse("auto_submit"), auto_params())
    assert preview.status_code == 200
    assert "Log in to flattr" in preview.content.decode()
    assert not Thing.objects.exists()

    client.force_login(donor)
    response = client.post(reverse("auto_submit"), auto_params())

    thing = Thing.objects.get()
    assert response["Location"] == thing.get_absolute_url()
    assert thing.url == "https://pat.example.org/episode-9"
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1


def test_auto_submit_accepts_the_trailing_slash_and_uid(client, publisher):
    params = auto_params()
    params["uid"] = params.pop("user_id")
    assert client.get("/submit/auto/", params).status_code == 200


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({}, 400, "missing"),
        ({"user_id": "pat"}, 400, "missing"),
        (auto_params(url=""), 400, "missing"),
        (auto_params(user_id="nobody"), 404, "no Flattr user"),
        (auto_params(user_id="x" * 1000), 404, "no Flattr user"),
        (auto_params(url="javascript:alert(document.cookie)"), 400, "http"),
        (auto_params(url="data:text/html;base64,PHNjcmlwdD4="), 400, "http"),
        (auto_params(url="https://pat.example.org/\u0000"), 400, "control"),
        (auto_params(title="x" * 10_000), 400, "5 to 100"),
        (auto_params(title="Bell\u0007"), 400, "control"),
        (auto_params(description="d" * 5000), 400, "1000"),
        (auto_params(category="nope"), 400, "category"),
        (auto_params(language="xx_YY_ZZ"), 400, "language"),
    ],
)
def test_hostile_auto_submit_links_get_a_clear_4xx(client, publisher, params, status, words):
    response = client.get(reverse("auto_submit"), params)
    assert response.status_code == status
    assert words in response.content.decode()
    post = client.post(reverse("auto_submit"), params)
    assert post.status_code == status
    assert not Thing.objects.exists()


def test_an_auto_submit_flattr_by_the_owner_is_refused_and_creates_nothing(client, publisher):
    fund_user(publisher)
    client.force_login(publisher)
    response = client.post(reverse("auto_submit"), auto_params())
    assert response.status_code == 200
    assert "your own things" in response.content.decode()
    assert not Thing.objects.exists()


@pytest.mark.parametrize(
    "url", ["https://twitter.com/alice", "https://x.com/@Alice/", "http://mobile.twitter.com/alice"]
)
def test_auto_submit_of_a_twitter_profile_url_goes_to_the_account_page(client, url):
    owner = make_user(username="blogger")
    response = client.get(
        "/submit/auto", {"user_id": owner.username, "url": url, "title": "Alice on X"}
    )
    assert response.status_code == 302
    assert response["Location"].lower() == "/twitter/alice/"
    assert not Thing.objects.filter(owner=owner).exists()


def test_auto_submit_of_a_twitter_status_url_stays_a_web_page(client):
    owner = make_user(username="blogger")
    response = client.get(
        "/submit/auto",
        {"user_id": owner.username, "url": "https://x.com/alice/status/1", "title": "A tweet"},
    )
    assert response.status_code == 200
