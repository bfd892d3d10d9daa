"""Payday's stage posted → notified: who crossed the earnings threshold, and their emails, sent
in batches by Celery (never one task per user), each notice claimed once."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.mail import mail_build
from payments.models import Payday, PaydayNotice
from payments.payday import sql as payday_sql
from payments.payday.stages import Stage, stage_set

# Notification emails per Celery task: batches, never one task per user.
NOTICE_BATCH_SIZE = 200


def notices_record(payday: Payday) -> None:
    """Stage posted → notified: record who crossed the threshold; email them after commit."""
    with transaction.atomic():
        payday_sql.work_mem_raise()
        payday_sql.execute(
            payday_sql.sql_text("payday_notices"),
            {"payday_id": payday.pk, "threshold": int(settings.NOTIFY_THRESHOLD_CENTS)},
        )
        stage_set(payday, Stage.NOTIFIED)
        payday_id = payday.pk
        transaction.on_commit(lambda: payday_notices_enqueue(payday_id=payday_id))


def payday_notices_enqueue(*, payday_id: int) -> int:
    """Queue the unsent notices of a payday for email, one Celery task per batch; return the
    number of batches. Safe to repeat: the sending task claims each notice once."""
    from payments.tasks import payday_notices_send_batch

    ids = list(
        PaydayNotice.objects.filter(payday_id=payday_id, sent_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    batches = [ids[i : i + NOTICE_BATCH_SIZE] for i in range(0, len(ids), NOTICE_BATCH_SIZE)]
    for batch in batches:
        payday_notices_send_batch.delay(notice_ids=batch)
    return len(batches)


def _notice_message(notice: PaydayNotice) -> EmailMultiAlternatives:
    """Build the email telling a recipient their earnings passed the threshold (one action:
    their income)."""
    return mail_build(
        user=notice.user,
        template_prefix="payments/email/payday_threshold",
        context={
            "month": notice.payday.month,
            "before_cents": notice.before_cents,
            "after_cents": notice.after_cents,
            "received_cents": notice.after_cents - notice.before_cents,
            "threshold_cents": int(settings.NOTIFY_THRESHOLD_CENTS),
            "can_payout": notice.after_cents >= int(settings.PAYOUT_MINIMUM_CENTS),
            "income_url": settings.SITE_URL + reverse("payments:income"),
        },
    )


def payday_notices_send(*, notice_ids: list[int]) -> int:
    """Email the notices of one batch that are not sent yet; return how many were sent.

    Each notice is claimed (`sent_at` set, rows locked with SKIP LOCKED) in a short transaction
    before its mail goes out, and no transaction is held open while talking to the mail server.
    A task may run twice (late acks) or two batches may overlap: a claimed notice is never sent
    again. If the mail server fails, the notices not yet handed over are released for the retry.
    """
    with transaction.atomic():
        claimed = list(
            PaydayNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=notice_ids, sent_at__isnull=True)
            .select_related("user", "payday")
            .order_by("pk")
        )
        PaydayNotice.objects.filter(pk__in=[n.pk for n in claimed]).update(sent_at=timezone.now())
    sent = 0
    try:
        with mailers.default as mailer:
            for notice in claimed:
                mailer.send_messages([_notice_message(notice)])
                sent += 1
    except Exception:
        unsent = [n.pk for n in claimed[sent:]]
        PaydayNotice.objects.filter(pk__in=unsent).update(sent_at=None)
        raise
    return sent
