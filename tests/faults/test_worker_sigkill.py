"""A real Celery worker killed with SIGKILL in the middle of payday; payday run again ends with
exactly the ledger an uninterrupted run gives, every transfer compared.

tests/payments/test_payday_crash.py kills payday between any two statements inside one process;
this is the kill a deploy or the OOM killer does: the worker process gone mid-chunk, its
database session dropped by PostgreSQL, the task's message unacknowledged.
"""

import os
import signal
import time

import pytest
from django.db import connection, transaction

from flattr.celery import app
from payments.models import Payday, Transfer
from payments.payday import PaydayError, payday_run
from payments.selectors import ledger_check
from tests.payments.payday_data import MONTH, ledger_snapshot, make_donor, make_flattr, make_thing
from tests.payments.test_payday_crash import build_month
from tests.payments.test_payday_worker import worker  # noqa: F401  (a fixture: real Celery)

EXTRA_DONORS = 120  # with one donor a chunk, enough chunks that the kill lands mid-payday
WAIT_SECONDS = 120
RERUN_SECONDS = 30


def _clean_run() -> dict:
    """Payday uninterrupted, in a transaction rolled back: the snapshot to compare with."""
    with transaction.atomic():
        payday_run(month=MONTH)
        snapshot = ledger_snapshot()
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock_all()")
    return snapshot


def _rerun() -> None:
    """Run payday again once PostgreSQL has noticed the dead worker's session (its lock)."""
    deadline = time.monotonic() + RERUN_SECONDS
    while True:
        try:
            payday_run(month=MONTH)
            return
        except PaydayError as error:
            if error.code != "payday_running" or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_worker_killed_mid_payday_then_payday_again_gives_the_clean_ledger(
    worker,  # noqa: F811
    settings,
):
    queue, process = worker
    settings.PAYDAY_CHUNK_DONORS = 1
    build_month()
    things = [make_thing(), make_thing(pool_label="@held-too")]
    for n in range(EXTRA_DONORS):
        donor = make_donor(budget=100 + n, funds=1000)
        for thing in things[: 1 + n % 2]:
            make_flattr(donor, thing)
    expected = _clean_run()
    assert expected["transfers"] and not Payday.objects.exists()
    before = Transfer.objects.count()

    app.send_task(
        "payments.tasks.payday_run_month", kwargs={"month": MONTH.strftime("%Y-%m")}, queue=queue
    )
    deadline = time.monotonic() + WAIT_SECONDS
    while Transfer.objects.count() == before:
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail("the worker posted nothing in time")
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=20)

    payday = Payday.objects.get(month=MONTH)
    assert payday.stage != Payday.Stage.DONE, "payday finished before the kill: add donors"
    assert Transfer.objects.count() < len(expected["transfers"])  # some posted, not all
    assert ledger_check() == []  # whole chunks only, even killed

    _rerun()

    assert Payday.objects.get(month=MONTH).stage == Payday.Stage.DONE
    assert ledger_snapshot() == expected
    assert ledger_check() == []
