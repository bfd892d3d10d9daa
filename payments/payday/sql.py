"""Payday's database side: its SQL files, the one function that runs them, the session lock.

Every payday statement goes through `execute`, so it is timed in the debug log (and a test can
stop payday before or after any one of them).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Iterator
from pathlib import Path

from django.db import connection
from django.utils.translation import gettext

from payments.payday.stages import PaydayError

logger = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
# Advisory lock key (two int4s): a namespace for payday, and 0 = "any month". One payday at a
# time keeps two months from racing for the same wallets.
PAYDAY_LOCK_NAMESPACE = 0x50415944  # "PAYD"
PAYDAY_LOCK_KEY = 0
BIGINT_MAX = 2**63 - 1
# Room for a chunk's sorts, hashes and CTEs in memory rather than in temporary files (set per
# transaction, for payday's own statements only).
PAYDAY_WORK_MEM = "256MB"


@functools.cache
def sql_text(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def execute(sql: str, params: dict) -> list[tuple]:
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
def payday_lock() -> Iterator[None]:
    """Hold the session-level payday advisory lock, or raise `payday_running`.

    Session-level, not transaction-level, because a payday is many transactions; a killed
    process loses its connection and with it the lock, so a crash never leaves it held.
    """
    acquired = execute(
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
        execute(
            "SELECT pg_advisory_unlock(%(ns)s, %(key)s)",
            {"ns": PAYDAY_LOCK_NAMESPACE, "key": PAYDAY_LOCK_KEY},
        )


def work_mem_raise() -> None:
    """Give the rest of this transaction PAYDAY_WORK_MEM per sort or hash."""
    execute(f"SET LOCAL work_mem = '{PAYDAY_WORK_MEM}'", {})


def statistics_refresh(*, transfers: bool = False) -> None:
    """Fresh statistics for the rows just written, so later statements are planned for their
    real size (autovacuum would get there, but later): the snapshots and shares before
    posting, and (`transfers`) the ledger once most of the payday is posted, so the notices
    read a million transfers in one pass rather than through an index."""
    tables = "payments_paydaydonor, payments_share" + (", payments_transfer" if transfers else "")
    execute(f"ANALYZE {tables}", {})
