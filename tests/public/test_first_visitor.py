"""What a first visitor ran into: each fixed, each checked."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from flattr.languages import language_name
from flattr.models import Flattr
from tests.factories import fund_user, make_thing, make_user

pytestmark = pytest.mark.django_db


def test_a_new_user_is_not_a_public_supporter_until_they_say_so_on_the_first_flattr(client):
    donor = fund_user(make_user())
    assert not donor.show_as_supporter and not donor.supporter_asked
    thing = make_thing()
    client.force_login(donor)

    page = client.get(thing.get_absolute_url())
    assert 'name="show_as_supporter"' in page.text  # asked on the first flattr
    client.post(reverse("thing_flattr", args=[thing.pk]), {"show_as_supporter": "1"})

    donor.refresh_from_db()
    assert donor.supporter_asked and donor.show_as_supporter
    assert Flattr.objects.filter(donor=donor, thing=thing).exists()
    assert 'name="show_as_supporter"' not in client.get(make_thing().get_absolute_url()).text


def test_log_in_and_sign_up_are_worded_the_same_everywhere(client):
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        html = client.get(path).text
        for stock in ("Sign In", "Sign in", "Sign Up", "Signup", "contact us"):
            assert stock not in html, f"{stock!r} on {path}"
    assert "Log in" in client.get("/accounts/login/").text


def test_the_favicon_the_charity_and_the_footer_are_there(client):
    assert client.get("/favicon.ico")["Location"].endswith("favicon.svg")
    html = client.get("/").text
    assert "Wikimedia Deutschland" in html and "/transparency/" in html


def test_norwegian_bokmal_and_hindi_have_german_names():
    with translation.override("de"):
        assert language_name("no_NO") == "Norwegisch (Bokmål)"
        assert language_name("hi_IN") == "Hindi"


@pytest.mark.parametrize("amount", ["1000000000000", "1000000000000.00"])
def test_an_absurd_amount_says_the_maximum(client, amount):
    client.force_login(make_user())

    response = client.post(
        reverse("payments:budget"), {"choice": "custom", "custom_amount": amount}
    )

    assert "The largest amount is" in response.text
    assert "Enter an amount" not in response.text


def test_the_language_choice_sticks_for_a_logged_in_user(client):
    user = make_user()
    client.force_login(user)

    client.post(reverse("set_language"), {"language": "de", "next": "/"})

    assert User.objects.get(pk=user.pk).preferred_language == "de"


def test_profiles_live_at_the_username_and_respect_privacy(client):
    pat = make_user(username="pat", show_giving=False, profile_noindex=True)
    make_thing(owner=pat, title="Pat's honey blog")

    page = client.get("/pat/")
    assert page.status_code == 200 and "Pat&#x27;s honey blog" in page.text
    assert '<meta name="robots" content="noindex, nofollow">' in page.text
    assert 'property="og:title"' in page.text
    assert client.get("/profile/pat/")["Location"] == "/pat/"
    assert "/pat/" not in client.get("/sitemap.xml").text
    User.objects.filter(pk=pat.pk).update(explore_hidden=True)
    assert "Pat&#x27;s honey blog" not in client.get("/explore/").text


def test_search_stems_german_and_english_by_the_things_language(client):
    make_thing(title="Running a beehive", description="Bees and honey", language="en_GB")
    make_thing(title="Die kleinen Bienenhäuser", description="Imkern", language="de_DE")

    english = client.get("/explore/?q=runs").text
    german = client.get("/explore/?q=Bienenhaus").text

    assert "Running a beehive" in english and "Bienenhäuser" not in english
    assert "Bienenhäuser" in german and "Running a beehive" not in german


@pytest.mark.parametrize(
    "path",
    [
        "/explore/?q=" + "ä" * 5000,
        "/explore/?q=!!!%20%26%20|",
        "/explore/?q=%00",
        "/explore/?page=-1&sort=<script>&language=xx&category=nope",
        "/explore/?page=99999999999999999999",
        "/explore/tag/" + "x" * 500 + "/",
        "/" + "u" * 300 + "/",
        "/transparency.json?x=1",
        "/%00/",
        "/profile/%00/",
        "/explore/tag/%00/",
    ],
)
def test_hostile_input_on_public_pages_gets_a_page_or_a_404_never_a_500(client, path):
    make_thing(tags=["bees"])

    assert client.get(path).status_code in (200, 400, 404)


def test_closing_refuses_a_choice_that_is_not_offered(client):
    user = fund_user(make_user(), funds_cents=500)
    client.force_login(user)

    response = client.post(
        reverse("account_close_confirm"), {"funds": "payout", "earnings": "x", "confirm": "yes"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active and user.closing_requested_at is None


def _top_level_segments(patterns, prefix=""):
    """Yield the first path segment of every URL pattern that starts with a fixed word."""
    import re

    for pattern in patterns:
        text = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from _top_level_segments(pattern.url_patterns, text)
            continue
        match = re.match(r"^\^?(?:\(\?:)?([A-Za-z0-9_.-]+)", text)
        if match:
            yield match.group(1)


def test_no_username_can_shadow_a_top_level_path(settings):
    from django.urls import get_resolver

    taken = set(_top_level_segments(get_resolver().url_patterns))

    assert taken - {name.lower() for name in settings.ACCOUNT_USERNAME_BLACKLIST} == set()
