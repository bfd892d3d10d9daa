"""Password reset by mail, password change, email change; each security change is notified."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from tests.accounts.flows import last_mail_to, log_in, logged_in_user_id, mail_links
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 77"


def test_password_reset_by_mail_sets_a_new_password_that_then_logs_in(client):
    user = make_user(username="anna", email="anna@example.org")

    response = client.post(reverse("account_reset_password"), {"email": "anna@example.org"})
    assert response.status_code == 302
    links = [link for link in mail_links(last_mail_to("anna@example.org")) if "/reset/key/" in link]
    assert len(links) == 1

    # The key in the link is swapped for a session token, so it does not leak via Referer.
    landing = client.get(links[0])
    assert landing.status_code == 302
    form_url = landing.url
    assert client.get(form_url).status_code == 200
    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert log_in(client, login="anna", password=PASSWORD).status_code == 200
    assert logged_in_user_id(client) is None
    assert log_in(client, login="anna", password=NEW_PASSWORD).status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


def test_a_password_reset_link_works_only_once(client):
    make_user(username="anna", email="anna@example.org")
    client.post(reverse("account_reset_password"), {"email": "anna@example.org"})
    link = next(link for link in mail_links(mail.outbox[-1]) if "/reset/key/" in link)
    form_url = client.get(link).url
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert "bad token" in again.content.decode().lower()
    assert 'name="password1"' not in again.content.decode()


def test_a_reset_for_an_unknown_address_reveals_nothing_and_sends_no_link(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert all("/reset/key/" not in link for m in mail.outbox for link in mail_links(m))


def test_changing_the_password_needs_the_old_one_and_notifies_by_mail(client):
    user = make_user(username="anna", email="anna@example.org")
    log_in(client, login="anna")
    url = reverse("account_change_password")

    wrong = client.post(
        url, {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert wrong.status_code == 200
    assert 'id="id_oldpassword_error"' in wrong.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    right = client.post(
        url, {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert right.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert logged_in_user_id(client) == str(user.pk), "changing the password keeps you logged in"
    assert "changed" in last_mail_to("anna@example.org").subject.lower()


def test_adding_an_email_verifies_it_before_it_can_become_primary(client):
    user = make_user(username="anna", email="anna@example.org")
    log_in(client, login="anna")

    client.post(reverse("account_email"), {"action_add": "", "email": "anna@new.example"})
    added = EmailAddress.objects.get(email="anna@new.example")
    assert not added.verified

    refused = client.post(
        reverse("account_email"), {"action_primary": "", "email": "anna@new.example"}
    )
    assert refused.status_code in {200, 302}
    user.refresh_from_db()
    assert user.email == "anna@example.org", "an unverified address must not become primary"

    link = next(
        link for link in mail_links(last_mail_to("anna@new.example")) if "confirm-email" in link
    )
    client.post(link)
    client.post(reverse("account_email"), {"action_primary": "", "email": "anna@new.example"})

    user.refresh_from_db()
    assert user.email == "anna@new.example"
    assert EmailAddress.objects.get(email="anna@new.example").primary


def test_another_accounts_address_can_be_listed_but_never_taken_over(client):
    bob = make_user(username="bob", email="bob@example.org")
    anna = make_user(username="anna", email="anna@example.org")
    log_in(client, login="anna")

    response = client.post(reverse("account_email"), {"action_add": "", "email": "bob@example.org"})
    client.post(reverse("account_email"), {"action_primary": "", "email": "bob@example.org"})

    # The answer looks like success, so nobody can probe which addresses have accounts; the
    # address stays unverified for anna (only bob's inbox could verify it) and bob keeps it.
    assert response.status_code == 302
    assert not EmailAddress.objects.get(email="bob@example.org", user=anna).verified
    anna.refresh_from_db()
    assert anna.email == "anna@example.org"
    client.post(reverse("account_logout"))
    log_in(client, login="bob@example.org")
    assert logged_in_user_id(client) == str(bob.pk)
