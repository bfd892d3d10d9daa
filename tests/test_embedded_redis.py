"""The embedded Redis of `make run` and `make test` without REDIS_URL: started by the first user
of a data folder, shared by the next, stopped by the last one to exit."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
import redis

from tests.test_foundation_settings import development_env

BASE_DIR = Path(__file__).resolve().parent.parent
DEADLINE_SECONDS = 60

HOLDER = """
import sys
from pathlib import Path
import redis
from flattr.embedded_redis import embedded_redis_url
url = embedded_redis_url(Path(sys.argv[1]))
redis.Redis.from_url(url).ping()
print(url, flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def data_dir():
    path = Path(tempfile.mkdtemp(prefix="flattr-redis-"))
    yield path
    for proc in servers_on(path):
        proc.kill()
    shutil.rmtree(path, ignore_errors=True)


def servers_on(folder: Path) -> list[psutil.Process]:
    """The redis-server processes started for this data folder (by the pid it recorded)."""
    try:
        pid = json.loads((folder / "server.json").read_text())["pid"]
    except (FileNotFoundError, ValueError):
        return []
    try:
        proc = psutil.Process(pid)
        return [proc] if proc.status() != psutil.STATUS_ZOMBIE else []
    except psutil.NoSuchProcess:
        return []


def start_holder(folder: Path) -> tuple[subprocess.Popen, str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)],
        cwd=BASE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = holder.stdout.readline().strip()
    assert url.startswith("redis://"), url + holder.stderr.read()
    return holder, url


def stopped(url: str) -> bool:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url, socket_timeout=1).ping()
        except redis.ConnectionError:
            return True
        time.sleep(0.1)
    return False


def test_the_second_user_shares_the_server_and_the_last_one_out_stops_it(data_dir):
    first, url = start_holder(data_dir)
    second, second_url = start_holder(data_dir)
    assert second_url == url
    redis.Redis.from_url(url).set("kept", "yes")

    first.communicate("\n", timeout=DEADLINE_SECONDS)
    assert redis.Redis.from_url(url).get("kept") == b"yes"  # the second user still has it

    second.communicate("\n", timeout=DEADLINE_SECONDS)
    assert stopped(url)
    assert not (data_dir / "server.json").exists()


def test_the_server_needs_its_password_and_listens_on_loopback_only(data_dir):
    holder, url = start_holder(data_dir)
    try:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(host="127.0.0.1", port=port).ping()
        listening = {
            conn.laddr.ip
            for conn in psutil.net_connections("tcp")
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN
        }
        assert listening == {"127.0.0.1"}
        assert oct((data_dir / "server.json").stat().st_mode & 0o777) == "0o600"
    finally:
        holder.communicate("\n", timeout=DEADLINE_SECONDS)


def test_a_killed_user_does_not_keep_the_server_running_after_the_others_stop(data_dir):
    killed, url = start_holder(data_dir)
    killed.kill()  # SIGKILL: no clean-up, its pid stays in the list of users
    killed.wait()
    assert servers_on(data_dir)

    holder, same_url = start_holder(data_dir)
    assert same_url == url
    os.kill(holder.pid, signal.SIGTERM)  # what stopping `make run` sends
    holder.wait(timeout=DEADLINE_SECONDS)

    assert stopped(url)


def settings_of(env: dict[str, str]) -> dict:
    code = (
        "from django.conf import settings as s; import json; print(json.dumps({"
        "'redis': s.REDIS_URL, 'cache': s.CACHES['default']['BACKEND'], "
        "'sessions': s.SESSION_ENGINE, 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
        "'broker': s.CELERY_BROKER_URL}))"
    )
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    clean |= {"ENV_FILE": "/nonexistent/.env"} | development_env()  # the test run's database
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_development_without_redis_url_uses_the_embedded_redis_for_everything(data_dir):
    config = settings_of({"EMBEDDED_REDIS_DIR": str(data_dir)})

    assert config["redis"].startswith("redis://:") and "@127.0.0.1:" in config["redis"]
    assert config["cache"] == "flattr.cache_backend.ResilientRedisCache"
    assert config["sessions"] == "django.contrib.sessions.backends.cached_db"
    assert config["broker"] == config["redis"]
    assert config["eager"] is False  # a real worker runs the tasks
    assert stopped(config["redis"])  # the shell was its only user


def test_embedded_redis_false_falls_back_to_local_memory_and_eager_tasks(data_dir):
    config = settings_of({"EMBEDDED_REDIS": "false", "EMBEDDED_REDIS_DIR": str(data_dir)})

    assert config["redis"] == ""
    assert config["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert config["eager"] is True
    assert not (data_dir / "server.json").exists()
