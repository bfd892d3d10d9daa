"""Thing URLs may not point at this site or at a private network (flattr/url_destinations.py
says why); the refusal is a friendly form error, and a link or button asking for such a thing
gets a 400."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from flattr.errors import FlattrError
from flattr.models import Thing
from flattr.services import thing_create
from tests.factories import make_thing, make_user

pytestmark = pytest.mark.django_db

REFUSED = [
    # this site
    "http://testserver/payments/add-funds/",
    "http://127.0.0.1:8000/admin/",
    "https://LOCALHOST/",
    # private, loopback, link-local, shared, unspecified, multicast
    "http://10.0.0.1/",
    "http://172.16.5.4/router",
    "http://192.168.1.1/reset",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://[::1]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[::ffff:127.0.0.1]/",
    # IPv4 the legacy ways a browser still reads it
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    # names that resolve only inside a network
    "http://printer.local/",
    "http://db.internal/",
    "http://nas.home.arpa/",
    "http://app.localhost/",
    "http://intranet/",
]
ALLOWED = [
    "https://example.org/post",
    "https://blog.example.com:8443/a",
    "http://93.184.216.34/",
    "https://[2606:4700:4700::1111]/",
    "https://localhost.example.org/",  # a public name that merely starts like a local one
    "https://testserver.example.org/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_a_thing_pointing_at_this_site_or_a_private_address_is_refused(url):
    with pytest.raises(FlattrError) as refused:
        thing_create(owner=make_user(), url=url, title="Somewhere near")
    assert refused.value.code == "invalid_url"
    assert not Thing.objects.exists()


@pytest.mark.parametrize("url", ALLOWED)
def test_a_thing_on_a_public_address_elsewhere_is_accepted(url):
    assert thing_create(owner=make_user(), url=url, title="Somewhere far").pk


def test_the_submit_form_says_why_in_words():
    client = Client()
    client.force_login(make_user())
    response = client.post(
        reverse("thing_submit"),
        {"url": "http://192.168.1.1/", "title": "My router", "category": "text"},
    )
    assert response.status_code == 400
    assert "private or local network" in str(response.context["form"].errors["url"])


def test_editing_a_thing_cannot_move_it_onto_this_site():
    thing = make_thing()
    client = Client()
    client.force_login(thing.owner)
    response = client.post(
        reverse("thing_edit", args=[thing.pk]),
        {"url": "http://testserver/accounts/login/", "title": thing.title, "category": "text"},
    )
    assert response.status_code == 400
    thing.refresh_from_db()
    assert thing.url.startswith("https://blog.example.org/")


def test_a_link_or_button_for_a_private_address_creates_nothing():
    make_user(username="pat")
    donor = make_user()
    client = Client()
    client.force_login(donor)
    fields = {"user_id": "pat", "url": "http://10.1.2.3/wiki", "title": "Our wiki"}
    assert client.get(reverse("auto_submit"), fields).status_code == 400
    assert client.post(reverse("auto_submit"), fields).status_code == 400
    assert not Thing.objects.exists()


def test_the_check_can_be_turned_off_for_local_experiments(settings):
    settings.THING_URLS_PRIVATE_ALLOWED = True
    assert thing_create(owner=make_user(), url="http://localhost:4000/", title="My draft").pk
