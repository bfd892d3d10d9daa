"""The profile: public page, the settings form, the settings tabs."""

import pytest
from django.urls import reverse

from tests.accounts.flows import log_in
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PROFILE = {
    "display_name": "Anna Donor",
    "about": "I write about <b>bees</b>.",
    "website": "https://anna.example.org/",
    "preferred_language": "de",
    "show_as_supporter": "on",
    "email_notifications": "on",
}


def test_the_public_profile_shows_name_username_about_and_website(client):
    make_user(
        username="anna", **{**PROFILE, "show_as_supporter": True, "email_notifications": True}
    )

    html = client.get(reverse("profile", args=["anna"])).content.decode()

    assert "Anna Donor" in html
    assert "@anna" in html
    assert "I write about &lt;b&gt;bees&lt;/b&gt;." in html, "user text is escaped"
    assert 'href="https://anna.example.org/" rel="nofollow ugc noopener"' in html


def test_an_inactive_or_unknown_user_has_no_profile(client):
    make_user(username="gone", is_active=False)

    assert client.get(reverse("profile", args=["gone"])).status_code == 404
    assert client.get(reverse("profile", args=["nobody"])).status_code == 404


def test_the_settings_page_needs_a_login(client):
    response = client.get(reverse("account_settings"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_saving_the_profile_stores_it_and_switches_the_language(client):
    user = make_user(username="anna")
    log_in(client, login="anna")

    response = client.post(reverse("account_settings"), PROFILE)

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.website, user.preferred_language) == (
        "Anna Donor",
        "https://anna.example.org/",
        "de",
    )
    assert response.cookies["django_language"].value == "de"
    page = client.get(response.url).content.decode()
    assert "Dein Profil wurde gespeichert." in page


def test_a_bad_website_is_refused_beside_the_field_and_nothing_is_saved(client):
    user = make_user(username="anna", display_name="Before")
    log_in(client, login="anna")

    response = client.post(
        reverse("account_settings"), {**PROFILE, "display_name": "After", "website": "not a url"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_website_error"' in html
    assert 'value="After"' in html, "the input is kept"
    user.refresh_from_db()
    assert user.display_name == "Before"


def test_an_unknown_language_is_refused(client):
    user = make_user(username="anna")
    log_in(client, login="anna")

    response = client.post(reverse("account_settings"), {**PROFILE, "preferred_language": "xx"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.preferred_language == "en"


@pytest.mark.parametrize(
    ("url_name", "tab"),
    [
        ("account_settings", "Profile"),
        ("account_email", "Email"),
        ("account_change_password", "Password"),
        ("mfa_index", "Two-factor authentication"),
    ],
)
def test_every_settings_page_shows_the_tabs_with_its_own_marked(client, url_name, tab):
    make_user(username="anna")
    log_in(client, login="anna")

    html = client.get(reverse(url_name)).content.decode()

    assert 'class="settings-nav"' in html
    for other in ("account_settings", "account_email", "account_change_password", "mfa_index"):
        assert f'href="{reverse(other)}"' in html
    assert f'href="{reverse(url_name)}" aria-current="page">{tab}</a>' in html
    assert html.count('aria-current="page"') == 1
