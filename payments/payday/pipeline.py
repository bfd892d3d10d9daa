"""Payday's stages started → shares → posted: split the budgets into snapshots and shares, post
their transfers, check every chunk. Chunk by chunk, each in its own transaction; with
PAYDAY_PIPELINE, splitting and posting overlap on two connections (`_pipeline_run`).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time

from django.conf import settings
from django.db import connection, transaction

from payments.models import LedgerAccount, Payday
from payments.payday import sql as payday_sql
from payments.payday.sql import BIGINT_MAX
from payments.payday.stages import (
    STAGE_ORDER,
    PaydayError,
    PaydayProgress,
    ProgressCallback,
    Stage,
    stage_set,
)
from payments.services import system_account

logger = logging.getLogger(__name__)


def _chunk_sizes() -> dict:
    return {"size": int(settings.PAYDAY_CHUNK_DONORS), "chunks": int(settings.PAYDAY_CHUNKS_MAX)}


def _chunk_ranges(starts: list[int]) -> list[tuple[int, int]]:
    """Turn sorted first ids into contiguous inclusive ranges covering every id."""
    return [
        (0 if i == 0 else start, starts[i + 1] - 1 if i + 1 < len(starts) else BIGINT_MAX)
        for i, start in enumerate(starts)
    ]


def split_params(month: dt.date, **extra) -> dict:
    return {
        "month": month,
        "fee_bps": int(settings.FEE_BPS),
        "lo": 0,
        "hi": BIGINT_MAX,
        "donors": None,
        "payday_id": None,
        **extra,
    }


def _pipeline_possible() -> bool:
    """Whether chunks may be split on a second connection while this one posts: only when
    each chunk really commits (not inside a caller's transaction, which another connection
    could not see), and unless PAYDAY_PIPELINE turns it off."""
    return bool(settings.PAYDAY_PIPELINE) and not connection.in_atomic_block


def _snapshot_chunk(payday: Payday, lo: int, hi: int) -> None:
    """Write one chunk's donor snapshots and shares, in one statement and one transaction."""
    started = time.perf_counter()
    with transaction.atomic():
        payday_sql.work_mem_raise()
        payday_sql.execute(
            payday_sql.sql_text("payday_split") + payday_sql.sql_text("payday_snapshot"),
            split_params(payday.month, payday_id=payday.pk, lo=lo, hi=hi),
        )
    logger.debug("%.3fs snapshot chunk with commit", time.perf_counter() - started)


def shares_compute(payday: Payday, progress: ProgressCallback | None) -> list[str] | None:
    """Stage started → shares: snapshot every donor and write their shares, chunk by chunk.

    Where it can (`_pipeline_possible`), a helper thread splits the chunks on its own
    connection while this one posts each chunk as soon as it is written, and the helper then
    checks each posted chunk, so both cores work. Then every chunk is posted and checked when
    the stage is recorded, and this returns the problems found (None: nothing posted yet).
    """
    sizes = _chunk_sizes()
    with transaction.atomic():
        payday_sql.execute(payday_sql.sql_text("payday_funds_accounts"), {"month": payday.month})
    starts = [
        row[0]
        for row in payday_sql.execute(
            payday_sql.sql_text("payday_snapshot_chunks"), {"month": payday.month, **sizes}
        )
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
        payday_sql.statistics_refresh()
    with transaction.atomic():
        stage_set(payday, Stage.SHARES)
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
                    payday_sql.statistics_refresh()  # plan the first posts for chunk-sized tables
                split.put((lo, hi))
            payday_sql.statistics_refresh(transfers=True)  # most chunks are posted by now
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
        payday_sql.work_mem_raise()
        payday_sql.execute(payday_sql.sql_text("payday_lock"), params)
        _resplit_shrunk(payday, params)
        payday_sql.execute(payday_sql.sql_text("payday_post"), params)
    logger.debug("%.3fs post chunk with commit", time.perf_counter() - started)


def transfers_post(
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
        payday_sql.statistics_refresh(transfers=True)
    with transaction.atomic():
        payday_sql.work_mem_raise()
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
        stage_set(payday, Stage.POSTED, **totals)


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
    return [
        row[0] for row in payday_sql.execute(payday_sql.sql_text("payday_check_shares"), params)
    ] + [
        row[0]
        for row in payday_sql.execute(
            payday_sql.sql_text("payday_check"), {**params, "posted": posted}
        )
    ]


def _posting_ranges(payday: Payday) -> list[tuple[int, int]]:
    """The chunks of a payday's snapshotted donors (payday_post_chunks.sql)."""
    starts = [
        row[0]
        for row in payday_sql.execute(
            payday_sql.sql_text("payday_post_chunks"), {"payday_id": payday.pk, **_chunk_sizes()}
        )
    ]
    return _chunk_ranges(starts)


def _resplit_shrunk(payday: Payday, params: dict) -> None:
    """Re-split the chunk's donors whose wallet shrank since their snapshot.

    A refund, dispute or payout may land between the snapshot and posting (always possible
    when a crashed payday is resumed later). Under the chunk's account locks, such a donor's
    snapshot and shares are computed again from their balances now, by the same SQL, so a
    donor never pays more than they have and their shares still sum to what leaves the wallet.
    """
    donors = [row[0] for row in payday_sql.execute(payday_sql.sql_text("payday_shrunk"), params)]
    if not donors:
        return
    logger.warning("payday %s: re-splitting %d donors whose wallet shrank", payday, len(donors))
    payday_sql.execute(
        payday_sql.sql_text("payday_unsnapshot"), {"payday_id": payday.pk, "donors": donors}
    )
    payday_sql.execute(
        payday_sql.sql_text("payday_split") + payday_sql.sql_text("payday_snapshot"),
        split_params(payday.month, payday_id=payday.pk, donors=donors),
    )


def _totals(payday: Payday) -> tuple[dict, int]:
    """Return the payday's counters, and what its share transfers moved in all."""
    donors, shares, recipients, total, fees, charity, moved = payday_sql.execute(
        payday_sql.sql_text("payday_totals"), {"payday_id": payday.pk}
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
