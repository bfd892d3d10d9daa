"""A real Celery worker (not eager) runs payday from beat's task."""

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from flattr.celery import app
from payments.models import LedgerAccount, Payday
from payments.months import month_previous
from tests.payments.payday_data import balance, make_donor, make_flattr, make_thing

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90
POLL_SECONDS = 0.25


@pytest.fixture
def worker():
    """Start `celery worker` on a queue of its own, against this test database."""
    queue = f"payday-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    # django-environ does not decode a percent-encoded host, so the embedded server's socket
    # directory goes in the query string, where it is read as it is.
    if host.startswith("/"):
        url = f"postgres://{db['USER']}@/{db['NAME']}?host={quote(host)}&port={port}"
    else:
        url = f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"
    env = {
        **os.environ,
        "FLATTR_ENV": "test",
        "ENV_FILE": os.devnull,  # never a developer's .env
        "DATABASE_URL": url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # One donor per chunk: with several chunks, payday runs its pipeline (a helper thread
        # on a second connection) inside the worker.
        "PAYDAY_CHUNK_DONORS": "1",
        "PAYDAY_PIPELINE": "true",
    }
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "flattr", "worker", "--pool=solo",
         "-l", "warning", "-Q", queue, "--without-heartbeat", "--without-gossip",
         "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield queue, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
# send_task always goes to the broker, even though tests run other tasks eagerly.
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_real_worker_runs_payday_for_last_month_from_the_beat_task(worker):
    queue, process = worker
    last_month = month_previous(timezone.now().date())
    donors = [make_donor(budget=1000, funds=1000) for _ in range(3)]
    thing = make_thing()
    for donor in donors:
        make_flattr(donor, thing, month=last_month)

    app.send_task("payments.tasks.payday_for_last_month", queue=queue)

    deadline = time.monotonic() + WAIT_SECONDS
    payday = None
    while time.monotonic() < deadline:
        payday = Payday.objects.filter(month=last_month, stage=Payday.Stage.DONE).first()
        if payday or process.poll() is not None:
            break
        time.sleep(POLL_SECONDS)
    if payday is None:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode(errors="replace")
        pytest.fail(f"no finished payday within {WAIT_SECONDS}s; worker said:\n{output[-3000:]}")
    assert (payday.donors, payday.shares, payday.total_cents, payday.fees_cents) == (
        3,
        3,
        2700,
        300,
    )
    assert balance(thing.owner) == 2700
    assert [balance(donor, LedgerAccount.Kind.FUNDS) for donor in donors] == [0, 0, 0]
