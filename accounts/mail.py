"""Every mail the site sends to a person: built one way, delivered one way.

A mail is three templates under one prefix: `<prefix>_subject.txt` (one line), `<prefix>.txt`
and `<prefix>.html`. It is rendered in the reader's preferred language, with their settings
link, when the change it reports is made, and delivered only once that change has committed (a
rolled-back change must not be announced). Delivery goes through a Celery task that retries
while the mail server is away, so a slow SMTP server never fails the request that caused the
mail (if the queue itself is unreachable, the mail is sent from the request instead). Batch
senders (payday notices) build the messages here and send them through one connection
themselves, since they claim and release each notice around the send.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from kombu.exceptions import OperationalError as BrokerUnreachable

logger = logging.getLogger(__name__)

# Runs of ordinary whitespace (line breaks from template tags, indentation) fold to one space;
# no-break spaces are left alone, so "€ 10.00" in a subject never splits.
_SUBJECT_SPACE = re.compile(r"[ \t\r\n]+")


def mail_build(
    *, user, template_prefix: str, context: dict | None = None
) -> EmailMultiAlternatives:
    """Return the mail `template_prefix` for `user`, in their language, text with HTML.

    The context gains `user`, `settings_url` (where notifications are turned off) and
    `SITE_URL`, which every mail's footer needs.
    """
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        context = {
            "user": user,
            "settings_url": settings.SITE_URL + reverse("account_settings"),
            "SITE_URL": settings.SITE_URL,
            **(context or {}),
        }
        subject = render_to_string(f"{template_prefix}_subject.txt", context)
        message = EmailMultiAlternatives(
            subject=_SUBJECT_SPACE.sub(" ", subject).strip(" "),
            body=render_to_string(f"{template_prefix}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
        )
        message.attach_alternative(
            render_to_string(f"{template_prefix}.html", context), "text/html"
        )
    return message


def mail_queue(*, user, template_prefix: str, context: dict | None = None) -> None:
    """Render the mail now and deliver it once the current transaction commits (at once
    outside one); nothing goes out if it rolls back."""
    message_queue(mail_build(user=user, template_prefix=template_prefix, context=context))


def message_queue(message: EmailMultiAlternatives) -> None:
    """Deliver an already rendered message once the current transaction commits."""
    transaction.on_commit(lambda: message_send(message), robust=True)


def message_send(message: EmailMultiAlternatives) -> None:
    """Hand a rendered message to the mail task now (callers that know nothing is left to
    commit, like allauth after it saved the token the mail carries)."""
    from accounts.tasks import mail_send  # the task module imports mail_deliver from here

    alternatives = getattr(message, "alternatives", [])  # allauth may render text only
    html = next((body for body, mimetype in alternatives if mimetype == "text/html"), None)
    fields = {
        "to": list(message.to),
        "subject": message.subject,
        "body": message.body,
        "html": html,
        "from_email": message.from_email,
        "headers": dict(message.extra_headers),
    }
    try:
        mail_send.delay(**fields)
    except BrokerUnreachable:
        # The queue (Redis) is down or restarting: send it from this process instead, so the
        # mail is neither lost nor the cause of an error page.
        logger.warning("mail queue unreachable; sending %r directly", message.subject)
        mail_deliver(**fields)


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
