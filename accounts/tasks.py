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
