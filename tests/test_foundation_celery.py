"""Celery: the app, its schedule, and a real worker consuming the Redis broker."""

import importlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache

from flattr.celery import app as celery_app
from flattr.tasks import ping

BASE_DIR = Path(__file__).resolve().parent.parent
WORKER_DEADLINE_SECONDS = 60


def import_every_tasks_module() -> None:
    for config in apps.get_app_configs():
        name = f"{config.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def test_every_scheduled_task_exists():
    import_every_tasks_module()

    missing = {
        entry: spec["task"]
        for entry, spec in settings.CELERY_BEAT_SCHEDULE.items()
        if spec["task"] not in celery_app.tasks
    }

    assert missing == {}


def test_the_ping_task_writes_the_cache_when_run_eagerly():
    result = ping.delay(key="ping:eager", value="pong")

    assert result.get(timeout=1) == "pong"
    assert cache.get("ping:eager") == "pong"


@pytest.mark.redis
def test_a_real_worker_runs_a_task_sent_through_redis():
    queue = f"test-ping-{uuid.uuid4().hex}"  # our own queue: nothing else is consumed
    key = f"ping:{queue}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "flattr",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=BASE_DIR,
        env=os.environ | {"FLATTR_ENV": "test"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    eager = celery_app.conf.task_always_eager
    try:
        celery_app.conf.task_always_eager = False  # this once, through the broker
        ping.apply_async(kwargs={"key": key, "value": "pong"}, queue=queue)
        deadline = time.monotonic() + WORKER_DEADLINE_SECONDS
        while cache.get(key) is None and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.poll() is None, worker.stdout.read().decode()
        assert cache.get(key) == "pong"
    finally:
        celery_app.conf.task_always_eager = eager
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
