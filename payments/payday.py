"""Payday: the monthly split, as set-based SQL over whole tables, resumable after any crash.

`payday_run(month=…)` walks one `Payday` row (unique per month) through its stages:

    started  → shares    every donor's snapshot (`PaydayDonor`: budget, wallet, what is taken
                         from funds and from earnings, the fee, charity) and one `Share` per live
                         flattr, written chunk by chunk (payday_split.sql + payday_snapshot.sql);
    shares   → posted    the ledger transfers those rows call for, chunk by chunk, each with a
                         deterministic key (`payday:YYYY-MM:share:<flattr>`, `…:fee:<donor>`,
                         `…:earnings:<donor>`, `…:charity:<donor>`), inserted with ON CONFLICT
                         DO NOTHING; the cached balances move by exactly the inserted rows
                         (payday_post.sql);
    posted   → notified  one `PaydayNotice` per user whose earnings crossed
                         NOTIFY_THRESHOLD_CENTS, emailed after commit by Celery in batches;
    notified → done      counters, finished_at, and the `payday_finished` signal.

Chunks are donor id ranges: at least PAYDAY_CHUNK_DONORS donors, at most PAYDAY_CHUNKS_MAX of
them. With PAYDAY_PIPELINE (and outside a caller's transaction) the first two stages overlap: a
helper thread splits chunks on its own connection while this one posts each chunk as soon as it
is written, and the helper then checks the posted chunks (`_pipeline_run`); a split reads
earnings as they stood before this payday, so the interleaving changes nothing.

Every chunk commits on its own. Killed anywhere, a rerun resumes at the recorded stage and
redoes the chunk it was in: a donor's snapshot and shares are written by one statement (so a
donor is either wholly recorded or not at all), and a chunk's transfers and balance moves by
another, so the rerun ends with exactly the ledger of an uninterrupted run. A session-level
advisory lock lets one payday run at a time; a second caller is refused (`payday_running`).

Money is integer cents throughout; the arithmetic is `payments.split.split_budget`, which the
tests hold this SQL to.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import connection, transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.mail import mail_build
from payments.errors import PaymentError
from payments.models import LedgerAccount, Payday, PaydayNotice
from payments.months import month_previous, month_start
from payments.selectors import ledger_check
from payments.services import system_account

logger = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent / "sql"
# Advisory lock key (two int4s): a namespace for payday, and 0 = "any month". One payday at a
# time keeps two months from racing for the same wallets.
PAYDAY_LOCK_NAMESPACE = 0x50415944  # "PAYD"
PAYDAY_LOCK_KEY = 0
BIGINT_MAX = 2**63 - 1
# Room for a chunk's sorts, hashes and CTEs in memory rather than in temporary files (set per
# transaction, for payday's own statements only).
PAYDAY_WORK_MEM = "256MB"
# Notification emails per Celery task: batches, never one task per user.
NOTICE_BATCH_SIZE = 200

Stage = Payday.Stage
STAGE_ORDER = [Stage.STARTED, Stage.SHARES, Stage.POSTED, Stage.NOTIFIED, Stage.DONE]

# Sent (after commit) when a payday reaches `done`, with `payday=`. The twitter app listens to
# notify owners of held pools that crossed their threshold; payments needs to know nothing of it.
payday_finished = Signal()


class PaydayError(PaymentError):
    """A payday refused or stopped: `payday_month_open` (the month has not ended),
    `payday_running` (another payday holds the lock), `payday_check_failed` (the self-check
    found a broken invariant after posting; the payday stays at `shares` for a human)."""


@dataclass(frozen=True)
class PaydayProgress:
    """One step of a running payday, for progress bars: `done` of `total` in `stage`."""

    stage: str
    done: int
    total: int


ProgressCallback = Callable[[PaydayProgress], None]


@dataclass
class PaydaySummary:
    month: dt.date
    stage: str  # the payday's stage, or "preview" for a dry run of a month never started
    donors: int = 0
    shares: int = 0
    recipients: int = 0
    total_cents: int = 0  # what recipients receive, after the fee
    fees_cents: int = 0
    charity_cents: int = 0
    dry_run: bool = False
    payday_id: int | None = None
    ledger_problems: list[str] = field(default_factory=list)

    @property
    def ledger_ok(self) -> bool:
        return not self.ledger_problems


def month_check_closed(month: dt.date) -> dt.date:
    """Return `month` as its first day, or raise `payday_month_open` unless it has ended (in the
    site's timezone).

    Flattrs of the current month are still pending (donors may add and remove them), so only a
    closed month can be split.
    """
    month = month_start(month)
    current = month_start()
    if month >= current:
        raise PaydayError(
            "payday_month_open",
            gettext(
                "%(month)s has not ended yet; payday splits closed months only "
                "(the latest is %(latest)s)."
            )
            % {"month": f"{month:%Y-%m}", "latest": f"{month_previous(current):%Y-%m}"},
        )
    return month


@functools.cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def _execute(sql: str, params: dict) -> list[tuple]:
    """Run one statement and return its rows. Every payday statement goes through here (the
    crash tests fail it at each call in turn)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
    if logger.isEnabledFor(logging.DEBUG):
        label = sql.lstrip().splitlines()[0].lstrip("-( ").strip()[:70]
        logger.debug("%.3fs %s", time.perf_counter() - started, label)
    return rows


@contextlib.contextmanager
def _payday_lock() -> Iterator[None]:
    """Hold the session-level payday advisory lock, or raise `payday_running`.

    Session-level, not transaction-level, because a payday is many transactions; a killed
    process loses its connection and with it the lock, so a crash never leaves it held.
    """
    acquired = _execute(
        "SELECT pg_try_advisory_lock(%(ns)s, %(key)s)",
        {"ns": PAYDAY_LOCK_NAMESPACE, "key": PAYDAY_LOCK_KEY},
    )[0][0]
    if not acquired:
        raise PaydayError(
            "payday_running", gettext("Another payday is running; try again when it ends.")
        )
    try:
        yield
    finally:
        _execute(
            "SELECT pg_advisory_unlock(%(ns)s, %(key)s)",
            {"ns": PAYDAY_LOCK_NAMESPACE, "key": PAYDAY_LOCK_KEY},
        )


def _chunk_sizes() -> dict:
    return {"size": int(settings.PAYDAY_CHUNK_DONORS), "chunks": int(settings.PAYDAY_CHUNKS_MAX)}


def _chunk_ranges(starts: list[int]) -> list[tuple[int, int]]:
    """Turn sorted first ids into contiguous inclusive ranges covering every id."""
    return [
        (0 if i == 0 else start, starts[i + 1] - 1 if i + 1 < len(starts) else BIGINT_MAX)
        for i, start in enumerate(starts)
    ]


def _split_params(month: dt.date, **extra) -> dict:
    return {
        "month": month,
        "fee_bps": int(settings.FEE_BPS),
        "lo": 0,
        "hi": BIGINT_MAX,
        "donors": None,
        "payday_id": None,
        **extra,
    }


def _stage_set(payday: Payday, stage: str, **fields) -> None:
    payday.stage = stage
    for name, value in fields.items():
        setattr(payday, name, value)
    payday.save(update_fields=["stage", *fields])


def _pipeline_possible() -> bool:
    """Whether chunks may be split on a second connection while this one posts: only when
    each chunk really commits (not inside a caller's transaction, which another connection
    could not see), and unless PAYDAY_PIPELINE turns it off."""
    return bool(settings.PAYDAY_PIPELINE) and not connection.in_atomic_block


def _snapshot_chunk(payday: Payday, lo: int, hi: int) -> None:
    """Write one chunk's donor snapshots and shares, in one statement and one transaction."""
    started = time.perf_counter()
    with transaction.atomic():
        _work_mem_raise()
        _execute(
            _sql("payday_split") + _sql("payday_snapshot"),
            _split_params(payday.month, payday_id=payday.pk, lo=lo, hi=hi),
        )
    logger.debug("%.3fs snapshot chunk with commit", time.perf_counter() - started)


def _work_mem_raise() -> None:
    """Give the rest of this transaction PAYDAY_WORK_MEM per sort or hash."""
    _execute(f"SET LOCAL work_mem = '{PAYDAY_WORK_MEM}'", {})


def _statistics_refresh(*, transfers: bool = False) -> None:
    """Fresh statistics for the rows just written, so later statements are planned for their
    real size (autovacuum would get there, but later): the snapshots and shares before
    posting, and (`transfers`) the ledger once most of the payday is posted, so the notices
    read a million transfers in one pass rather than through an index."""
    tables = "payments_paydaydonor, payments_share" + (", payments_transfer" if transfers else "")
    _execute(f"ANALYZE {tables}", {})


def _shares_compute(payday: Payday, progress: ProgressCallback | None) -> list[str] | None:
    """Stage started → shares: snapshot every donor and write their shares, chunk by chunk.

    Where it can (`_pipeline_possible`), a helper thread splits the chunks on its own
    connection while this one posts each chunk as soon as it is written, and the helper then
    checks each posted chunk, so both cores work. Then every chunk is posted and checked when
    the stage is recorded, and this returns the problems found (None: nothing posted yet).
    """
    sizes = _chunk_sizes()
    with transaction.atomic():
        _execute(_sql("payday_funds_accounts"), {"month": payday.month})
    starts = [
        row[0] for row in _execute(_sql("payday_snapshot_chunks"), {"month": payday.month, **sizes})
    ]
    ranges = _chunk_ranges(starts)
    problems = None
    if len(ranges) > 1 and _pipeline_possible():
        problems = _pipeline_run(payday, ranges, progress)
    else:
        for done, (lo, hi) in enumerate(ranges, start=1):
            _snapshot_chunk(payday, lo, hi)
            if progress:
                progress(PaydayProgress(Stage.SHARES, done, len(ranges)))
        _statistics_refresh()
    with transaction.atomic():
        _stage_set(payday, Stage.SHARES)
    return problems


def _pipeline_run(
    payday: Payday, ranges: list[tuple[int, int]], progress: ProgressCallback | None
) -> list[str]:
    """Split chunk after chunk in a helper thread (its own database connection) and post each
    one here as soon as its transaction has committed; the helper, done splitting, checks each
    posted chunk (`payday_check`) while the next is posted. Return the problems found.

    Posting stays on this connection, one chunk at a time under its account locks, exactly as
    in stage shares; only the splitting and checking run alongside. A chunk split while earlier
    ones are posted reads each wallet as it stood before this payday (payday_split.sql), so the
    result does not depend on how the two interleave. An error on either side stops both; every
    committed chunk stays, and a rerun carries on from there.
    """
    split: queue.Queue = queue.Queue()  # (lo, hi) of each chunk written, or the helper's error
    posted: queue.Queue = queue.Queue()  # (lo, hi) of each chunk posted; None: stop
    stop = threading.Event()
    problems: list[str] = []

    def split_then_check() -> None:
        try:
            for index, (lo, hi) in enumerate(ranges):
                if stop.is_set():
                    return
                _snapshot_chunk(payday, lo, hi)
                if index == 0:
                    _statistics_refresh()  # plan the first posts for chunk-sized tables
                split.put((lo, hi))
            _statistics_refresh(transfers=True)  # most chunks are posted by now
            for _ in ranges:
                chunk = posted.get()
                if chunk is None:
                    return
                problems.extend(payday_check(payday=payday, lo=chunk[0], hi=chunk[1], posted=True))
        except BaseException as error:  # handed to the posting side, which re-raises it
            split.put(error)
        finally:
            connection.close()

    helper = threading.Thread(target=split_then_check, name=f"payday-{payday.month:%Y-%m}")
    helper.start()
    fees, charity = _system_accounts()
    try:
        for done in range(1, len(ranges) + 1):
            chunk = split.get()
            if isinstance(chunk, BaseException):
                raise chunk
            if progress:
                progress(PaydayProgress(Stage.SHARES, done, len(ranges)))
            _post_chunk(payday, *chunk, fees_id=fees, charity_id=charity)
            posted.put(chunk)
            if progress:
                progress(PaydayProgress(Stage.POSTED, done, len(ranges)))
    finally:
        stop.set()
        posted.put(None)
        helper.join()
    if not split.empty():
        raise split.get()  # the helper failed while checking
    return problems


def _system_accounts() -> tuple[int, int]:
    return (
        system_account(LedgerAccount.Kind.FEES).pk,
        system_account(LedgerAccount.Kind.CHARITY).pk,
    )


def _post_chunk(payday: Payday, lo: int, hi: int, *, fees_id: int, charity_id: int) -> None:
    """Post one chunk's transfers (and re-split its donors whose wallet shrank) in one
    transaction, under the locks of every account it touches."""
    params = {
        "payday_id": payday.pk,
        "month": payday.month,
        "prefix": f"payday:{payday.month:%Y-%m}:",
        "lo": lo,
        "hi": hi,
        "fees_id": fees_id,
        "charity_id": charity_id,
    }
    started = time.perf_counter()
    with transaction.atomic():
        _work_mem_raise()
        _execute(_sql("payday_lock"), params)
        _resplit_shrunk(payday, params)
        _execute(_sql("payday_post"), params)
    logger.debug("%.3fs post chunk with commit", time.perf_counter() - started)


def _transfers_post(
    payday: Payday, progress: ProgressCallback | None, *, problems: list[str] | None
) -> None:
    """Stage shares → posted: post each chunk's transfers in its own transaction and check
    the chunk after it; or, given the `problems` the pipeline found, go by those (it posted and
    checked every chunk already). Then compare the payday's totals and record them."""
    if problems is None:
        fees, charity = _system_accounts()
        ranges = _posting_ranges(payday)
        problems = []
        for done, (lo, hi) in enumerate(ranges, start=1):
            _post_chunk(payday, lo, hi, fees_id=fees, charity_id=charity)
            problems += payday_check(payday=payday, lo=lo, hi=hi, posted=True)
            if progress:
                progress(PaydayProgress(Stage.POSTED, done, len(ranges)))
        _statistics_refresh(transfers=True)
    with transaction.atomic():
        _work_mem_raise()
        totals, moved = _totals(payday)
        if moved != totals["total_cents"]:
            problems.append(
                f"Payday's share transfers move {moved}, not the {totals['total_cents']} its "
                "snapshots distribute."
            )
        if problems:
            # Stop before anyone is told anything; the payday stays at `shares` for a human.
            logger.error("payday %s failed its self-check: %s", payday, problems)
            raise PaydayError("payday_check_failed", "; ".join(problems))
        _stage_set(payday, Stage.POSTED, **totals)


def payday_check(
    *, payday: Payday, lo: int | None = None, hi: int | None = None, posted: bool | None = None
) -> list[str]:
    """Return every broken invariant of a payday's rows, as sentences; empty means sound.

    Shares and snapshots reference real rows of their donor, each donor's shares sum to what was
    taken minus the fee, and (once posting began) exactly that left each wallet, one transfer
    per non-zero share. `lo`..`hi` limits the check to those donor ids (one chunk); without
    them every chunk is checked in turn, so no statement grows with the payday. `posted` says
    whether the transfers are posted (by default: whether the stage is past started). See
    payday_check.sql and payday_check_shares.sql.
    """
    if posted is None:
        posted = STAGE_ORDER.index(payday.stage) >= STAGE_ORDER.index(Stage.SHARES)
    if lo is None or hi is None:
        return [
            problem
            for lo, hi in _posting_ranges(payday) or [(0, BIGINT_MAX)]
            for problem in payday_check(payday=payday, lo=lo, hi=hi, posted=posted)
        ][:20]
    params = {"payday_id": payday.pk, "month": payday.month, "lo": lo, "hi": hi}
    return [row[0] for row in _execute(_sql("payday_check_shares"), params)] + [
        row[0] for row in _execute(_sql("payday_check"), {**params, "posted": posted})
    ]


def _posting_ranges(payday: Payday) -> list[tuple[int, int]]:
    """The chunks of a payday's snapshotted donors (payday_post_chunks.sql)."""
    starts = [
        row[0]
        for row in _execute(_sql("payday_post_chunks"), {"payday_id": payday.pk, **_chunk_sizes()})
    ]
    return _chunk_ranges(starts)


def _resplit_shrunk(payday: Payday, params: dict) -> None:
    """Re-split the chunk's donors whose wallet shrank since their snapshot.

    A refund, dispute or payout may land between the snapshot and posting (always possible
    when a crashed payday is resumed later). Under the chunk's account locks, such a donor's
    snapshot and shares are computed again from their balances now, by the same SQL, so a
    donor never pays more than they have and their shares still sum to what leaves the wallet.
    """
    donors = [row[0] for row in _execute(_sql("payday_shrunk"), params)]
    if not donors:
        return
    logger.warning("payday %s: re-splitting %d donors whose wallet shrank", payday, len(donors))
    _execute(_sql("payday_unsnapshot"), {"payday_id": payday.pk, "donors": donors})
    _execute(
        _sql("payday_split") + _sql("payday_snapshot"),
        _split_params(payday.month, payday_id=payday.pk, donors=donors),
    )


def _totals(payday: Payday) -> tuple[dict, int]:
    """Return the payday's counters, and what its share transfers moved in all."""
    donors, shares, recipients, total, fees, charity, moved = _execute(
        _sql("payday_totals"), {"payday_id": payday.pk}
    )[0]
    totals = {
        "donors": donors,
        "shares": shares,
        "recipients": recipients,
        "total_cents": total,
        "fees_cents": fees,
        "charity_cents": charity,
    }
    return totals, moved


def _notices_record(payday: Payday) -> None:
    """Stage posted → notified: record who crossed the threshold; email them after commit."""
    with transaction.atomic():
        _work_mem_raise()
        _execute(
            _sql("payday_notices"),
            {"payday_id": payday.pk, "threshold": int(settings.NOTIFY_THRESHOLD_CENTS)},
        )
        _stage_set(payday, Stage.NOTIFIED)
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


def _finish(payday: Payday, *, resumed_notified: bool) -> None:
    """Stage notified → done."""
    if resumed_notified:
        # The enqueue after the notified commit may never have run (killed in between).
        payday_notices_enqueue(payday_id=payday.pk)
    with transaction.atomic():
        _stage_set(payday, Stage.DONE, finished_at=timezone.now())
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
    with _payday_lock():
        payday, _ = Payday.objects.get_or_create(month=month)
        resumed_notified = payday.stage == Stage.NOTIFIED
        problems = None
        if payday.stage == Stage.STARTED:
            problems = _shares_compute(payday, progress)
        if payday.stage == Stage.SHARES:
            _transfers_post(payday, progress, problems=problems)
        if payday.stage == Stage.POSTED:
            _notices_record(payday)
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
    donors, shares, recipients, total, fees, charity = _execute(
        _sql("payday_split") + _sql("payday_preview"),
        _split_params(month, payday_id=existing.pk if existing else None),
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
