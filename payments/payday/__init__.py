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

from payments.payday.notices import payday_notices_enqueue, payday_notices_send
from payments.payday.pipeline import payday_check
from payments.payday.run import payday_preview, payday_run, payday_summary
from payments.payday.stages import (
    STAGE_ORDER,
    PaydayError,
    PaydayProgress,
    PaydaySummary,
    month_check_closed,
    payday_finished,
)

__all__ = [
    "STAGE_ORDER",
    "PaydayError",
    "PaydayProgress",
    "PaydaySummary",
    "month_check_closed",
    "payday_check",
    "payday_finished",
    "payday_notices_enqueue",
    "payday_notices_send",
    "payday_preview",
    "payday_run",
    "payday_summary",
]
