"""The pages of things: submit, edit, hide, the thing page, explore and the dashboard."""

import pytest
from django.urls import reverse

from flattr.models import Flattr, Subscription, Thing
from flattr.services import flattr_add
from tests.factories import PASSWORD, fund_user, make_thing, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def publisher_client(client, publisher):
    client.force_login(publisher)
    return client


@pytest.fixture
def donor_client(client, donor):
    client.force_login(donor)
    return client


def submit(client, **fields):
    data = {
        "url": "https://pat.example.org/episode-7",
        "title": "Episode seven",
        "description": "We talk about bees.",
        "category": "audio",
        "tags": "Podcast, bees",
        "language": "en_GB",
    }
    data.update(fields)
    return client.post(reverse("thing_submit"), data)


def test_a_publisher_submits_a_thing_and_lands_on_its_embed_page(publisher_client, publisher):
    response = submit(publisher_client, url="HTTPS://Pat.Example.org/episode-7")
    thing = Thing.objects.get(owner=publisher)
    assert response.status_code == 302
    assert response["Location"] == reverse("thing_embed", kwargs={"thing_id": thing.pk})
    assert thing.url == "https://pat.example.org/episode-7"
    assert thing.tags == ["podcast", "bees"]
    assert thing.category == "audio"
    page = publisher_client.get(response["Location"])
    assert page.status_code == 200
    assert b"FlattrButton" in page.content
    assert b"/js/load.js" in page.content
    assert b"badge.svg" in page.content


def test_the_submit_form_shows_each_problem_beside_its_field_and_keeps_the_input(
    publisher_client,
):
    response = submit(publisher_client, url="javascript:alert(1)", title="Hi")
    assert response.status_code == 400
    form = response.context["form"]
    assert "url" in form.errors and "title" in form.errors
    assert b"We talk about bees." in response.content
    assert not Thing.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "data:text/html,<script>alert(1)</script>"}, "url"),
        ({"url": "javascript:alert(document.cookie)"}, "url"),
        ({"url": "https://example.org/\x07bell"}, "url"),
        ({"title": "x" * 10_000}, "title"),
        ({"title": "Bad \x00 title"}, "title"),
        ({"title": "    "}, "title"),
        ({"description": "d" * 1001}, "description"),
        ({"description": "nul \x00 byte"}, "description"),
        ({"category": "weapons"}, "category"),
        ({"language": "klingon"}, "language"),
        ({"tags": ",".join(f"tag{i}" for i in range(25))}, "tags"),
        ({"tags": "t" * 41}, "tags"),
        ({"url": ""}, "url"),
    ],
)
def test_hostile_input_to_submit_is_a_form_error_not_a_crash(publisher_client, fields, field):
    response = submit(publisher_client, **fields)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Thing.objects.exists()


def test_missing_parameters_on_submit_are_form_errors(publisher_client):
    response = publisher_client.post(reverse("thing_submit"), {})
    assert response.status_code == 400
    assert {"url", "title", "category"} <= set(response.context["form"].errors)


def test_submitting_the_same_address_twice_says_so(publisher_client, thing):
    response = submit(publisher_client, url="HTTPS://PAT.Example.ORG:443/post-1")
    assert response.status_code == 400
    assert "url" in response.context["form"].errors


def test_submitting_needs_a_login(client):
    response = client.get(reverse("thing_submit"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_owner_edits_a_thing(publisher_client, thing):
    response = publisher_client.post(
        reverse("thing_edit", kwargs={"thing_id": thing.pk}),
        {
            "url": thing.url,
            "title": "A better title",
            "description": "",
            "category": "text",
            "tags": "",
            "language": "de_DE",
        },
    )
    assert response.status_code == 302
    thing.refresh_from_db()
    assert (thing.title, thing.language) == ("A better title", "de_DE")


def test_nobody_else_can_edit_or_hide_a_thing(client, thing):
    client.force_login(make_user())
    assert client.get(reverse("thing_edit", kwargs={"thing_id": thing.pk})).status_code == 404
    response = client.post(reverse("thing_hide", kwargs={"thing_id": thing.pk}), {"hidden": "1"})
    assert response.status_code == 404
    thing.refresh_from_db()
    assert not thing.hidden


def test_hiding_unlists_a_thing_but_its_page_and_flattrs_still_work(
    publisher_client, client, thing, donor
):
    response = publisher_client.post(
        reverse("thing_hide", kwargs={"thing_id": thing.pk}), {"hidden": "1"}
    )
    assert response.status_code == 302
    thing.refresh_from_db()
    assert thing.hidden
    assert publisher_client.get(thing.get_absolute_url()).status_code == 200
    publisher_client.logout()
    assert thing.title not in client.get(reverse("explore")).content.decode()
    assert thing.title not in client.get(reverse("explore"), {"q": "first"}).content.decode()
    assert client.get(thing.get_absolute_url()).status_code == 200
    client.force_login(donor)
    client.post(reverse("thing_flattr", kwargs={"thing_id": thing.pk}))
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1


def test_a_closed_things_page_is_its_owners_only(publisher_client, client, thing):
    Thing.objects.filter(pk=thing.pk).update(closed=True)
    assert publisher_client.get(thing.get_absolute_url()).status_code == 200
    publisher_client.logout()
    assert client.get(thing.get_absolute_url()).status_code == 404


def test_my_things_lists_the_owners_things_with_counts(publisher_client, thing, donor):
    flattr_add(donor=donor, thing=thing)
    response = publisher_client.get(reverse("my_things"))
    assert response.status_code == 200
    assert response.context["things"][0].flattr_count == 1
    assert "Pat&#x27;s first post" in response.content.decode()


def test_the_thing_page_shows_title_owner_count_and_supporters_who_allow_it(client, thing):
    shown = fund_user(
        make_user(username="visible", display_name="Vera Visible", show_as_supporter=True)
    )
    shy = fund_user(make_user(username="shy", display_name="Sam Shy", show_as_supporter=False))
    flattr_add(donor=shown, thing=thing)
    flattr_add(donor=shy, thing=thing)

    response = client.get(thing.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Pat&#x27;s first post" in html
    assert "Pat Publisher" in html
    assert response.context["count"] == 2
    assert "Vera Visible" in html
    assert "Sam Shy" not in html
    assert "and 1 more supporter" in html
    assert 'rel="payment"' in html


def test_flattring_from_the_thing_page_records_one_flattr(donor_client, donor, thing):
    url = reverse("thing_flattr", kwargs={"thing_id": thing.pk})
    first = donor_client.post(url)
    second = donor_client.post(url, follow=True)
    assert first.status_code == 302
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1
    assert "You already flattred this in" in second.content.decode()


def test_flattring_needs_post_and_a_csrf_token(client, donor, thing):
    url = reverse("thing_flattr", kwargs={"thing_id": thing.pk})
    client.force_login(donor)
    assert client.get(url).status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(donor)
    assert strict.post(url).status_code == 403
    assert not Flattr.objects.exists()


def test_a_refused_flattr_says_why_in_plain_words(client, thing):
    poor = make_user()
    client.force_login(poor)
    response = client.post(reverse("thing_flattr", kwargs={"thing_id": thing.pk}), follow=True)
    assert "set a monthly budget" in response.content.decode()
    assert not Flattr.objects.exists()


def test_subscribing_flattrs_now_and_cancelling_stops_it(donor_client, donor, thing):
    response = donor_client.post(
        reverse("subscription_add", kwargs={"thing_id": thing.pk}), {"months": "6"}
    )
    assert response.status_code == 302
    sub = Subscription.objects.get(donor=donor, thing=thing)
    assert sub.months == 6
    assert Flattr.objects.filter(donor=donor, thing=thing, source="subscription").exists()
    donor_client.post(reverse("subscription_cancel", kwargs={"subscription_id": sub.pk}))
    sub.refresh_from_db()
    assert sub.cancelled_at is not None


@pytest.mark.parametrize("months", ["2", "0", "-1", "abc", ""])
def test_a_subscription_length_other_than_3_6_12_is_refused(donor_client, thing, months):
    donor_client.post(
        reverse("subscription_add", kwargs={"thing_id": thing.pk}), {"months": months}
    )
    assert not Subscription.objects.exists()


def test_explore_finds_things_by_title_tag_and_category(client):
    make_thing(title="Bees of Berlin", tags=["insects"], category="video")
    make_thing(title="Knitting weekly", category="text")
    assert [t.title for t in client.get(reverse("explore"), {"q": "bees"}).context["page"]] == [
        "Bees of Berlin"
    ]
    assert [t.title for t in client.get(reverse("explore"), {"q": "insects"}).context["page"]] == [
        "Bees of Berlin"
    ]
    assert [
        t.title for t in client.get(reverse("explore"), {"category": "text"}).context["page"]
    ] == ["Knitting weekly"]


@pytest.mark.parametrize(
    "params",
    [{"page": "999"}, {"page": "-1"}, {"page": "x"}, {"q": "x" * 5000}, {"category": "<b>"}],
)
def test_explore_survives_odd_parameters(client, params):
    make_thing()
    assert client.get(reverse("explore"), params).status_code == 200


def test_the_dashboard_shows_each_flattr_worth_now_after_the_fee(donor_client, donor):
    things = [make_thing() for _ in range(3)]
    for thing in things:
        flattr_add(donor=donor, thing=thing)

    response = donor_client.get(reverse("dashboard"))

    month = response.context["month"]
    # budget €5.00, funds €10.00: €5.00 taken, 10 % fee = 50, 450 split 150/150/150
    assert [row.worth_cents for row in month.flattrs] == [150, 150, 150]
    assert month.fee_cents == 50
    html = response.content.decode()
    assert "€1.50" in html and "€5.00" in html and "€10.00" in html
    assert html.count('action="/flattrs/') == 3


def test_the_dashboard_split_gives_remainder_cents_to_the_earliest_flattrs(client):
    donor = fund_user(make_user(), budget_cents=1000, funds_cents=1000)
    client.force_login(donor)
    for _ in range(7):
        flattr_add(donor=donor, thing=make_thing())
    worth = [row.worth_cents for row in client.get(reverse("dashboard")).context["month"].flattrs]
    assert worth == [129, 129, 129, 129, 128, 128, 128]


def test_the_dashboard_remove_button_removes_the_flattr(donor_client, donor, thing):
    flattr = flattr_add(donor=donor, thing=thing)
    response = donor_client.post(
        reverse("flattr_remove", kwargs={"flattr_id": flattr.pk}), follow=True
    )
    assert response.status_code == 200
    assert not Flattr.objects.exists()
    assert "will not count on payday" in response.content.decode()


def test_the_dashboard_empty_state_points_to_explore_and_funding(client):
    user = make_user()
    client.force_login(user)
    html = client.get(reverse("dashboard")).content.decode()
    assert "You have not flattred anything this month" in html
    assert reverse("explore") in html
    assert "Add funds" in html


def test_the_dashboard_in_german_shows_money_the_german_way(donor_client, donor, thing):
    flattr_add(donor=donor, thing=thing)
    response = donor_client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="de")
    assert "4,50\u00a0€" in response.content.decode()


def test_login_page_round_trip_for_the_thing_page(client, thing):
    donor = fund_user(make_user(username="lisa"))
    response = client.get(thing.get_absolute_url())
    assert "Log in to flattr" in response.content.decode()
    client.post(reverse("account_login"), {"login": "lisa", "password": PASSWORD})
    assert client.get(thing.get_absolute_url()).context["user"] == donor


def test_the_benchmark_yardstick_view_is_off_unless_enabled(client, settings):
    assert client.get("/bench/trivial").status_code == 404
    settings.BENCH_TRIVIAL_VIEW = True
    assert client.get("/bench/trivial").content == b"ok"


def test_admins_find_and_ban_things(client, thing, donor):
    flattr_add(donor=donor, thing=thing)
    admin_user = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    listing = client.get("/admin/flattr/thing/", {"q": "pat.example.org"})
    assert listing.status_code == 200 and "Pat&#x27;s first post" in listing.content.decode()
    assert client.get("/admin/flattr/flattr/").status_code == 200
    assert client.get("/admin/flattr/subscription/").status_code == 200
    unexplained = client.post(
        "/admin/flattr/thing/", {"action": "ban", "_selected_action": [thing.pk]}
    )
    thing.refresh_from_db()
    assert unexplained.status_code == 302 and not thing.banned  # a ban needs a reason
    response = client.post(
        "/admin/flattr/thing/",
        {"action": "ban", "_selected_action": [thing.pk], "reason": "copied content"},
    )
    assert response.status_code == 302
    thing.refresh_from_db()
    assert thing.banned
    assert client.get(f"/thing/{thing.pk}/badge.svg").status_code == 404


def test_the_dashboard_links_to_the_money_pages_that_exist(client):
    client.force_login(make_user())
    links = client.get(reverse("dashboard")).context["payment_links"]
    for url in links.values():
        assert client.get(url).status_code == 200, url


def test_a_twitter_accounts_thing_page_is_the_accounts_page(client):
    from twitter_claims.services import account_for_x_user
    from twitter_claims.x_gateway import XUser

    account = account_for_x_user(x_user=XUser(id="777", username="carol", name="Carol"))
    response = client.get(reverse("thing_detail", kwargs={"thing_id": account.thing_id}))
    assert response.status_code == 302
    assert response["Location"] == "/twitter/carol/"


def test_the_thing_page_and_refusals_speak_german(client, thing, donor):
    client.force_login(donor)
    client.post(reverse("thing_flattr", kwargs={"thing_id": thing.pk}))
    response = client.post(
        reverse("thing_flattr", kwargs={"thing_id": thing.pk}),
        HTTP_ACCEPT_LANGUAGE="de",
        follow=True,
    )
    html = response.content.decode()
    assert "Flattr bisher" in html
    assert "Du hast das im" in html and "schon geflattrt" in html
    assert "Unterstützer" in html


@pytest.mark.parametrize(
    "path",
    [
        "/flattrs/99999999999999999999999/remove/",
        "/subscriptions/99999999999999999999999/cancel/",
        "/thing/99999999999999999999999/flattr/",
        "/thing/99999999999999999999999/subscribe/",
        "/thing/99999999999999999999999/hide/",
    ],
)
def test_absurd_ids_are_not_found_not_a_crash(donor_client, path):
    response = donor_client.post(path, {"months": "3", "hidden": "1"})
    assert response.status_code in (302, 404)


@pytest.mark.parametrize(
    "path",
    ["/thing/99999999999999999999999/", "/thing/0/", "/thing/99999999999999999999999/count.json"],
)
def test_absurd_thing_ids_in_links_are_not_found(client, path):
    assert client.get(path).status_code == 404
