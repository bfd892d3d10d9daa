"""The embedded PostgreSQL of `make run` and `make test`: made on a fresh clone, stopped after."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
DEADLINE_SECONDS = 90

HOLDER = """
import sys
from pathlib import Path
import psycopg
from flattr.embedded_db import embedded_database_settings
db = embedded_database_settings(Path(sys.argv[1]))
with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as c:
    print("ready", c.execute("SELECT 1").fetchone()[0], flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def fresh_clone_dir():
    """A folder standing in for a fresh clone: no `.data/` in it yet."""
    path = Path(tempfile.mkdtemp(prefix="flattr-fresh-"))
    yield path
    for proc in servers_on(path):
        proc.kill()
    shutil.rmtree(path, ignore_errors=True)


def servers_on(folder: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(folder) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def start_holder(data_dir: Path) -> subprocess.Popen:
    """Start a process that uses the embedded server, and wait until it has queried it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)],
        cwd=BASE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = holder.stdout.readline()
    assert line.strip() == "ready 1", line + holder.stderr.read()
    return holder


def wait_until_no_server(folder: Path) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while servers_on(folder) and time.monotonic() < deadline:
        time.sleep(0.1)
    handles = next(folder.glob("**/.handle_pids.json"), None)
    listed = handles.read_text() if handles else "no list"
    assert servers_on(folder) == [], f"the server's list of users: {listed}"


def test_a_fresh_clone_gets_its_data_folder_and_a_working_server(fresh_clone_dir):
    data_dir = fresh_clone_dir / ".data" / "pg"
    assert not (fresh_clone_dir / ".data").exists()

    holder = start_holder(data_dir)
    holder.communicate("\n", timeout=DEADLINE_SECONDS)

    assert (data_dir / "PG_VERSION").read_text().strip() == "18"
    wait_until_no_server(fresh_clone_dir)


def test_the_server_stops_after_a_sigterm_even_when_an_earlier_user_was_killed(fresh_clone_dir):
    data_dir = fresh_clone_dir / ".data" / "pg"
    killed = start_holder(data_dir)
    killed.kill()  # SIGKILL: no atexit, its pid stays in the server's list of users
    killed.wait()
    assert servers_on(fresh_clone_dir), "the killed user could not stop the server"

    holder = start_holder(data_dir)
    os.kill(holder.pid, signal.SIGTERM)  # what stopping `make run` sends
    holder.wait(timeout=DEADLINE_SECONDS)

    wait_until_no_server(fresh_clone_dir)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_stopping_the_development_server_stops_the_embedded_database(fresh_clone_dir):
    """What `make run` does: runserver with its reloader, stopped by SIGTERM to the group."""
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "FLATTR_ENV": "development",
        "ENV_FILE": "/nonexistent/.env",
        "EMBEDDED_PG_DIR": str(fresh_clone_dir / ".data" / "pg"),
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert r.status == 200  # the view queried the embedded database
                    break
            except OSError:
                assert server.poll() is None, "runserver exited"
                time.sleep(0.2)
        else:
            pytest.fail("runserver did not answer")
        assert servers_on(fresh_clone_dir)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=DEADLINE_SECONDS)

    wait_until_no_server(fresh_clone_dir)
