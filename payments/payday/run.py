"""Payday's entry points: run (or resume) a month, preview it, summarise it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from payments.models import Payday
from payments.payday import notices, pipeline
from payments.payday import sql as payday_sql
from payments.payday.stages import (
    STAGE_ORDER,
    PaydayProgress,
    PaydaySummary,
    ProgressCallback,
    Stage,
    month_check_closed,
    payday_finished,
    stage_set,
)
from payments.selectors import ledger_check


def _finish(payday: Payday, *, resumed_notified: bool) -> None:
    """Stage notified → done."""
    if resumed_notified:
        # The enqueue after the notified commit may never have run (killed in between).
        notices.payday_notices_enqueue(payday_id=payday.pk)
    with transaction.atomic():
        stage_set(payday, Stage.DONE, finished_at=timezone.now())
        transaction.on_commit(lambda: payday_finished.send(sender=Payday, payday=payday))


def payday_run(
    *, month: dt.date, dry_run: bool = False, progress: ProgressCallback | None = None
) -> PaydaySummary:
    """Split the budgets of a closed month and post the result, exactly once.

    `month` may be any day of the month; the current and future months are refused
    (`payday_month_open`). With `dry_run`, compute the summary and write nothing. A payday that
    is already done returns its summary; one that stopped half-way resumes where it stopped.
    Raise `payday_running` while another payday holds the lock. The summary's
    `ledger_problems` is left empty: run `ledger_check()` to audit the whole books.
    """
    month = month_check_closed(month)
    if dry_run:
        return payday_preview(month=month)
    with payday_sql.payday_lock():
        payday, _ = Payday.objects.get_or_create(month=month)
        resumed_notified = payday.stage == Stage.NOTIFIED
        problems = None
        if payday.stage == Stage.STARTED:
            problems = pipeline.shares_compute(payday, progress)
        if payday.stage == Stage.SHARES:
            pipeline.transfers_post(payday, progress, problems=problems)
        if payday.stage == Stage.POSTED:
            notices.notices_record(payday)
            if progress:
                progress(PaydayProgress(Stage.NOTIFIED, 1, 1))
        if payday.stage == Stage.NOTIFIED:
            _finish(payday, resumed_notified=resumed_notified)
            if progress:
                progress(PaydayProgress(Stage.DONE, 1, 1))
    # Not the whole-books ledger_check(): it reads every transfer ever made, so it would grow
    # with history; payday has checked its own rows (payday_check), callers audit the books.
    return payday_summary(payday=payday, check=False)


def payday_summary(*, payday: Payday, check: bool = True) -> PaydaySummary:
    """Return the recorded counters of a payday (and, with `check`, the ledger self-check)."""
    return PaydaySummary(
        month=payday.month,
        stage=payday.stage,
        donors=payday.donors,
        shares=payday.shares,
        recipients=payday.recipients,
        total_cents=payday.total_cents,
        fees_cents=payday.fees_cents,
        charity_cents=payday.charity_cents,
        payday_id=payday.pk,
        ledger_problems=ledger_check() if check else [],
    )


def payday_preview(*, month: dt.date) -> PaydaySummary:
    """Return what the payday of `month` would do, computed by the same split SQL, writing
    nothing. For a payday already posted, return its recorded summary instead."""
    month = month_check_closed(month)
    existing = Payday.objects.filter(month=month).first()
    if existing is not None and STAGE_ORDER.index(existing.stage) >= STAGE_ORDER.index(
        Stage.POSTED
    ):
        summary = payday_summary(payday=existing)
        summary.dry_run = True
        return summary
    donors, shares, recipients, total, fees, charity = payday_sql.execute(
        payday_sql.sql_text("payday_split") + payday_sql.sql_text("payday_preview"),
        pipeline.split_params(month, payday_id=existing.pk if existing else None),
    )[0]
    return PaydaySummary(
        month=month,
        stage=existing.stage if existing else "preview",
        donors=donors,
        shares=shares,
        recipients=recipients,
        total_cents=total,
        fees_cents=fees,
        charity_cents=charity,
        dry_run=True,
        payday_id=existing.pk if existing else None,
        ledger_problems=ledger_check(),
    )
