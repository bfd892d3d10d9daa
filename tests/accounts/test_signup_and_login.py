"""Sign-up with mandatory email verification, login by username or email, logout."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.accounts.flows import last_mail_to, log_in, logged_in_user_id, mail_links, sign_up
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def confirm_link(address: str) -> str:
    links = [link for link in mail_links(last_mail_to(address)) if "/confirm-email/" in link]
    assert len(links) == 1, links
    return links[0]


def test_signing_up_sends_a_verification_mail_and_does_not_log_in(client):
    response = sign_up(client, username="newbie", email="newbie@example.org")

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert logged_in_user_id(client) is None
    user = User.objects.get(username="newbie")
    assert user.email == "newbie@example.org"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newbie@example.org"]
    assert confirm_link("newbie@example.org")


def test_following_the_mailed_link_verifies_the_address_and_login_then_works(client):
    sign_up(client, username="newbie", email="newbie@example.org")
    link = confirm_link("newbie@example.org")

    page = client.get(link)
    assert page.status_code == 200
    assert not EmailAddress.objects.get(email="newbie@example.org").verified, (
        "a GET must not confirm (mail scanners follow links); the page asks for a POST"
    )
    assert b'method="post"' in page.content

    confirmed = client.post(link)
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(email="newbie@example.org").verified

    response = log_in(client, login="newbie")
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert logged_in_user_id(client) == str(User.objects.get(username="newbie").pk)
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_forged_confirmation_key_verifies_nothing(client):
    sign_up(client, username="newbie", email="newbie@example.org")

    response = client.post(reverse("account_confirm_email", args=["not-a-real-key"]))

    assert response.status_code in {200, 404}
    assert not EmailAddress.objects.get(email="newbie@example.org").verified


def test_an_unverified_user_cannot_log_in_and_is_pointed_at_the_mail(client):
    sign_up(client, username="newbie", email="newbie@example.org")

    response = log_in(client, login="newbie")

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert logged_in_user_id(client) is None
    assert client.get(reverse("dashboard")).status_code == 302
    assert len(mail.outbox) == 1, "the link is not mailed again within the 3-minute cooldown"


def test_sign_up_errors_are_shown_beside_the_field_and_the_input_is_kept(client):
    make_user(username="taken")

    response = sign_up(client, username="taken", email="fresh@example.org")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_username_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="fresh@example.org"' in html
    assert not User.objects.filter(email="fresh@example.org").exists()
    assert mail.outbox == []


def test_signing_up_on_the_german_site_makes_german_the_preferred_language(client):
    client.post(reverse("set_language"), {"language": "de", "next": "/"})

    sign_up(client, username="hans", email="hans@example.org")

    assert User.objects.get(username="hans").preferred_language == "de"
    assert "bestätige" in last_mail_to("hans@example.org").subject


def test_login_works_by_username_and_by_email(client):
    user = make_user(username="anna", email="anna@example.org")

    assert log_in(client, login="anna").status_code == 302
    assert logged_in_user_id(client) == str(user.pk)
    client.logout()
    assert log_in(client, login="ANNA@example.org").status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


def test_a_wrong_password_is_refused_with_a_message(client):
    make_user(username="anna")

    response = log_in(client, login="anna", password="not the password")

    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    assert "not correct" in response.content.decode()


def test_logout_needs_a_post_and_then_ends_the_session(client):
    make_user(username="anna")
    log_in(client, login="anna")

    page = client.get(reverse("account_logout"))
    assert page.status_code == 200
    assert logged_in_user_id(client) is not None, "a GET (a link, an image) must not log out"

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert logged_in_user_id(client) is None
    assert client.get(reverse("dashboard")).status_code == 302


def test_the_base_page_offers_logout_as_a_form_post(client):
    make_user(username="anna", display_name="Anna Donor")
    log_in(client, login="anna")

    html = client.get(reverse("home")).content.decode()

    assert f'action="{reverse("account_logout")}"' in html
    assert "Anna Donor" in html


def test_logging_in_switches_the_site_to_the_preferred_language(client):
    make_user(username="hans", preferred_language="de")

    response = log_in(client, login="hans")

    assert response.cookies["django_language"].value == "de"
    home = client.get(reverse("home"))
    assert home.headers["Content-Language"] == "de"
    assert '<html lang="de">' in home.content.decode()


def test_the_dashboard_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
