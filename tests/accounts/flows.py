"""Helpers for the account flows: sign up, read the mail, follow its link."""

import re

from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

LINK = re.compile(r"https?://testserver(/\S+)")


def mail_links(message) -> list[str]:
    """Return the local paths of every link in a sent mail's plain-text body."""
    return LINK.findall(message.body)


def last_mail_to(address: str):
    """Return the newest mail in the outbox addressed to `address`."""
    sent = [m for m in mail.outbox if address in m.to]
    assert sent, f"no mail to {address}; outbox: {[(m.to, m.subject) for m in mail.outbox]}"
    return sent[-1]


def sign_up(client, *, username="newbie", email="newbie@example.org", password=PASSWORD, **request):
    """Post the sign-up form and return the response (`request`: extra WSGI environ)."""
    return client.post(
        reverse("account_signup"),
        {"username": username, "email": email, "password1": password, "password2": password},
        **request,
    )


def log_in(client, *, login, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")
