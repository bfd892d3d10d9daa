"""Writes of accounts: profiles, and the delivery of account mail."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from accounts.forms import ProfileForm
from accounts.models import User


@transaction.atomic
def profile_update(*, form: ProfileForm) -> User:
    """Save a validated profile form."""
    return form.save()


@transaction.atomic
def preferred_language_set(*, user: User, language: str) -> None:
    """Remember the language the user picked in the footer as their profile's language."""
    User.objects.filter(pk=user.pk).update(preferred_language=language)
    user.preferred_language = language


def mail_deliver(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str | None = None,
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Send one mail through the default mailer, as plain text with an HTML alternative.

    When no HTML is given it is made from the text (links clickable, a footer pointing at the
    account settings), so every mail reads well in both kinds of client.
    """
    if html is None:
        html = render_to_string(
            "accounts/email/message.html",
            {"subject": subject, "body": body, "SITE_URL": settings.SITE_URL},
        )
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers=headers or {},
    )
    message.attach_alternative(html, "text/html")
    message.send()
