"""Celery tasks of payments. Each is a thin wrapper around a service; all are idempotent (acks
are late, so a task may run twice)."""

import datetime as dt
import smtplib

from celery import shared_task

from payments import payday as payday_services
from payments.months import month_previous, month_start

PAYDAY_RETRY_SECONDS = 300  # while another payday holds the lock
PAYDAY_MAX_RETRIES = 12


@shared_task(
    bind=True,
    name="payments.tasks.payday_for_last_month",
    max_retries=PAYDAY_MAX_RETRIES,
    default_retry_delay=PAYDAY_RETRY_SECONDS,
)
def payday_for_last_month(self) -> str:
    """Beat, on the 1st: run payday for the month that just ended; return its stage."""
    return _payday_or_retry(self, month_previous(month_start()))


@shared_task(
    bind=True,
    name="payments.tasks.payday_run_month",
    max_retries=PAYDAY_MAX_RETRIES,
    default_retry_delay=PAYDAY_RETRY_SECONDS,
)
def payday_run_month(self, *, month: str) -> str:
    """Run (or resume) payday for `month` ("YYYY-MM"), as confirmed in the admin."""
    return _payday_or_retry(self, dt.date.fromisoformat(f"{month}-01"))


def _payday_or_retry(task, month: dt.date) -> str:
    try:
        return payday_services.payday_run(month=month).stage
    except payday_services.PaydayError as error:
        if error.code == "payday_running":
            raise task.retry(exc=error) from error
        raise


@shared_task(
    name="payments.tasks.payday_notices_send_batch",
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    max_retries=8,
)
def payday_notices_send_batch(*, notice_ids: list[int]) -> int:
    """Email one batch of payday threshold notices."""
    return payday_services.payday_notices_send(notice_ids=notice_ids)


@shared_task(name="payments.tasks.auto_topups_charge")
def auto_topups_charge() -> dict:
    """Beat, a few days before payday: charge the saved cards of donors whose funds run short."""
    from payments.services import auto_topups_charge as charge

    return charge()


@shared_task(name="payments.tasks.ledger_check_nightly")
def ledger_check_nightly() -> int:
    """Beat, every night: check the whole books; return how many problems were found."""
    from payments.ledger_watch import ledger_check_run

    return len(ledger_check_run().problems)
