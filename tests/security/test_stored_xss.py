"""Stored XSS: what people write (thing title, description, tags and URL; profile display name,
about and website; an X account's display name) is shown escaped on every page that shows it,
on the button and badge that other sites embed, and never becomes markup or a script link.

Everything is written through the forms and services people use, then every page that shows
it is read back: the raw payload must not appear, and its escaped form must (so the test knows
the field really was shown there).
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from flattr.models import Flattr, Thing
from flattr.selectors import month_start
from payments.payday import payday_run
from tests.factories import fund_user, make_user
from tests.payments.payday_data import MONTH
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db

PAYLOAD = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>"
MARKUP = ("<script>alert(1)", "<img src=x onerror", "onerror=alert(2)>")


def assert_escaped(body: str, *, where: str, shown: str = PAYLOAD) -> None:
    for raw in MARKUP:
        assert raw not in body, f"{raw!r} appears unescaped on {where}"
    assert html.escape(shown, quote=False) in body or html.escape(shown) in body, (
        f"the field is not shown on {where}, so this test proves nothing there"
    )


@pytest.fixture
def hostile():
    """A publisher whose profile and thing are full of markup, written through the forms, and a
    donor who flattred the thing in a month that payday has split."""
    publisher = make_user(username="mallory")
    client = Client()
    client.force_login(publisher)
    response = client.post(
        reverse("account_settings"),
        {
            "display_name": PAYLOAD[:100],
            "about": PAYLOAD,
            "website": 'https://mallory.example/"><script>alert(1)</script>',
            "preferred_language": "en",
        },
    )
    assert response.status_code in {200, 302}
    response = client.post(
        reverse("thing_submit"),
        {
            "url": 'https://mallory.example/post?q="><script>alert(1)</script>',
            "title": PAYLOAD[:100],
            "description": PAYLOAD,
            "category": "text",
            "tags": '<script>alert(1)</script>, "><img src=x onerror=alert(2)>',
            "language": "en_GB",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    thing = Thing.objects.get(owner__username="mallory")
    donor = fund_user(make_user(), budget_cents=500, funds_cents=5000)
    flattr = Flattr.objects.create(donor=donor, thing=thing, month=MONTH)
    Flattr.objects.filter(pk=flattr.pk).update(created_at=dt.datetime(2025, 3, 2, tzinfo=dt.UTC))
    payday_run(month=MONTH)
    Flattr.objects.create(donor=donor, thing=thing, month=month_start())  # on the dashboard
    return publisher.pk, thing, donor


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_forms_keep_the_markup_as_text_and_refuse_script_links(hostile):
    publisher_id, thing, _donor = hostile
    publisher = User.objects.get(pk=publisher_id)
    assert publisher.about == PAYLOAD  # stored as written: escaping is the page's job
    assert thing.title == PAYLOAD[:100]
    assert "<" not in thing.url and '"' not in thing.url  # percent-encoded by url_normalize
    response = as_user(publisher).post(
        reverse("account_settings"),
        {"website": "javascript:alert(1)", "preferred_language": "en"},
    )
    assert response.status_code == 200 and "website" in response.context["form"].errors


def test_the_publishers_pages_show_the_markup_as_text(hostile):
    publisher_id, thing, donor = hostile
    publisher = User.objects.get(pk=publisher_id)
    title = PAYLOAD[:100]
    visitor, owner = Client(), as_user(publisher)
    page = reverse("thing_detail", args=[thing.pk])
    profile = reverse("profile", args=["mallory"])
    tag_page = reverse("explore_tag", args=["<script>alert(1)</script>"])
    pages = {
        "the thing page": (visitor, page, title),
        "the thing page (description)": (visitor, page, PAYLOAD),
        "explore": (visitor, reverse("explore"), title),
        "a tag's page": (visitor, tag_page, title),
        "the profile": (visitor, profile, PAYLOAD),
        "the profile (name)": (visitor, profile, title),
        "the owner's things": (owner, reverse("my_things"), title),
        "the embed page": (owner, reverse("thing_embed", args=[thing.pk]), title),
        "the edit form": (owner, reverse("thing_edit", args=[thing.pk]), PAYLOAD),
        "the profile form": (owner, reverse("account_settings"), PAYLOAD),
        "income": (owner, reverse("payments:income"), title),
        "the donor's dashboard": (as_user(donor), reverse("dashboard"), title),
        "the donor's statement": (as_user(donor), reverse("payments:statements"), title),
    }
    for where, (client, path, shown) in pages.items():
        response = client.get(path)
        assert response.status_code == 200, where
        assert_escaped(response.content.decode(), where=where, shown=shown)


def test_the_profile_never_links_a_script_url_even_if_one_was_stored(hostile):
    """Defence in depth: an address stored before validation (or by an admin) is not a link."""
    User.objects.filter(username="mallory").update(website="javascript:alert(document.cookie)")
    body = Client().get(reverse("profile", args=["mallory"])).content.decode()
    assert 'href="javascript:' not in body.lower()


def test_the_button_and_the_badge_other_sites_embed_show_the_markup_as_text(hostile):
    _publisher, thing, _donor = hostile
    client = Client()
    button = client.get(reverse("button_view"), {"uid": "mallory", "url": thing.url})
    assert_escaped(button.content.decode(), where="the button", shown=PAYLOAD[:100])
    confirm = client.get(reverse("flattr_confirm"), {"thing": thing.pk})
    assert_escaped(confirm.content.decode(), where="the confirmation window", shown=PAYLOAD[:100])
    for path in (reverse("badge_by_id", args=[thing.pk]), reverse("button_badge")):
        badge = client.get(path, {"uid": "mallory", "url": thing.url})
        body = badge.content.decode()
        assert badge.status_code == 200
        assert not any(raw in body for raw in MARKUP), path


def test_text_a_third_party_page_puts_in_the_button_or_auto_submit_is_shown_as_text():
    """Not stored yet, but reflected: an embed snippet or link on someone's page carries the
    title and description of a thing that does not exist yet."""
    make_user(username="pat")
    client = Client()
    url = "https://pat.example/new"
    button = client.get(reverse("button_view"), {"uid": "pat", "url": url, "title": PAYLOAD[:100]})
    assert_escaped(button.content.decode(), where="the button", shown=PAYLOAD[:100])
    fields = {"user_id": "pat", "url": url, "title": PAYLOAD[:100], "description": PAYLOAD}
    for name in ("auto_submit", "flattr_confirm"):
        response = client.get(reverse(name), fields)
        assert response.status_code == 200, name
        assert_escaped(response.content.decode(), where=name, shown=PAYLOAD[:100])


def test_an_x_display_name_is_shown_as_text_on_the_account_page(fake_x):
    from twitter_claims.services import account_for_x_user
    from twitter_claims.x_gateway import XUser

    account_for_x_user(x_user=XUser(id="4242", username="mallory_x", name=PAYLOAD[:100]))
    assert PlatformAccount.objects.get(user_id="4242").name == PAYLOAD[:100]
    body = Client().get(reverse("twitter_claims:account", args=["mallory_x"])).content.decode()
    assert_escaped(body, where="the X account page", shown=PAYLOAD[:100])


def test_the_admin_shows_the_markup_as_text(hostile):
    _publisher, thing, _donor = hostile
    admin = as_user(make_user(is_staff=True, is_superuser=True))
    for path in (
        reverse("admin:flattr_thing_changelist"),
        reverse("admin:flattr_thing_change", args=[thing.pk]),
        reverse("admin:accounts_user_changelist") + "?q=mallory",
    ):
        response = admin.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert not any(raw in body for raw in MARKUP), path


def test_a_tag_with_a_slash_links_to_its_tag_page():
    """Tags are free text: a slash in one used to break the thing page (its link would not
    reverse, a 500)."""
    thing = make_thing_with_tags("bees/honey")
    page = Client().get(reverse("thing_detail", args=[thing.pk]))
    assert page.status_code == 200
    tag_page = Client().get(reverse("explore_tag", args=["bees/honey"]))
    assert tag_page.status_code == 200
    assert thing.title in tag_page.content.decode()


def make_thing_with_tags(tags: str):
    from flattr.services import thing_create

    return thing_create(owner=make_user(), url="https://example.org/t", title="Tagged", tags=tags)
