"""Celery tasks of payments. Each is a thin wrapper around a service; all are idempotent (acks
are late, so a task may run twice)."""

import datetime as dt
import smtplib

from celery import shared_task

from payments import payday as payday_services
from payments.months import month_previous, month_start
from payments.services import payouts as payout_services
from payments.stripe_gateway import GatewayUnavailable

PAYDAY_RETRY_SECONDS = 300  # while another payday holds the lock
PAYDAY_MAX_RETRIES = 12
PAYOUT_MAX_RETRIES = 8  # with backoff capped at 10 minutes: about an hour of Stripe outage


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


@shared_task(
    name="payments.tasks.payout_send_task",
    autoretry_for=(GatewayUnavailable,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=PAYOUT_MAX_RETRIES,
)
def payout_send_task(*, payout_id: int) -> str:
    """Make the Stripe transfer of an approved payout (retried while Stripe is unreachable)."""
    return payout_services.payout_send(payout_id=payout_id).status


@shared_task(
    name="payments.tasks.payout_transfer_reverse_task",
    autoretry_for=(GatewayUnavailable,),
    retry_backoff=True,
    max_retries=PAYOUT_MAX_RETRIES,
)
def payout_transfer_reverse_task(*, payout_id: int) -> None:
    """Take back the transfer of a payout whose bank payout failed."""
    payout_services.payout_transfer_reverse(payout_id=payout_id)


@shared_task(name="payments.tasks.payouts_send_due")
def payouts_send_due() -> list[int]:
    """Beat, every 10 minutes: send approved payouts whose own task was lost or gave up."""
    return payout_services.payouts_send_due()
