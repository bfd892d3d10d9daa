"""Celery tasks of accounts: thin wrappers around services."""

import smtplib

from celery import shared_task

from accounts.mail import mail_deliver

MAIL_MAX_RETRIES = 8  # with exponential backoff capped at 10 minutes: about an hour of outage


@shared_task(
    name="accounts.tasks.mail_send",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=MAIL_MAX_RETRIES,
)
def mail_send(**message) -> None:
    """Deliver a rendered mail (accounts.mail.mail_deliver), retrying on SMTP errors."""
    mail_deliver(**message)


@shared_task(name="accounts.tasks.sessions_clear_expired")
def sessions_clear_expired() -> None:
    """Delete expired sessions (they live in the database since sessions became cached_db)."""
    from importlib import import_module

    from django.conf import settings

    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
