"""`make bench`, part one: the button iframe against a do-nothing view, under the same gunicorn.

Starts gunicorn (2 workers by default) with the real settings on a free loopback port, against
this process's database and REDIS_URL, creates a thing, then measures requests per second of
`/button/view/` and of `/bench/trivial` (the full middleware stack, no work) in alternating
rounds, and prints both figures and their ratio. The target is a ratio of at least 0.7: a
button costs one cache read and no query, so it should be nearly as cheap as doing nothing.

Load comes from `wrk` when installed (`apt-get install wrk`), else from a bounded Python load
generator (threads with keep-alive http.client connections).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.client import HTTPConnection
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

BENCH_USERNAME = "bench-publisher"
BENCH_URL = "https://bench.example.org/posts/hello-world"
BENCH_TITLE = "Benchmark post"
TARGET_RATIO = 0.7
STARTUP_TIMEOUT_SECONDS = 30


class Command(BaseCommand):
    help = "Measure requests/second of the button iframe and of a trivial view under gunicorn."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seconds", type=float, default=8.0, help="per measurement round")
        parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per view")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--connections", type=int, default=16, help="concurrent clients")
        parser.add_argument(
            "--loader", choices=["auto", "wrk", "python"], default="auto", help="load generator"
        )
        parser.add_argument(
            "--fail-below",
            type=float,
            default=0.0,
            help="exit with an error when the ratio is below this (0 = only report)",
        )

    def handle(self, *args, **options) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        thing = self._bench_thing()
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        button_path = "/button/view/?" + urlencode(
            {"uid": BENCH_USERNAME, "url": thing.url, "title": thing.title}
        )
        paths = {"button iframe": button_path, "trivial view": "/bench/trivial"}
        loader = self._loader(options["loader"])
        self.stdout.write(
            f"Starting gunicorn ({options['workers']} workers) on {base}; "
            f"load: {loader}, {options['connections']} connections, "
            f"{options['rounds']} x {options['seconds']:g} s per view."
        )
        server = self._start_gunicorn(port, options["workers"])
        try:
            self._wait_until_up(base, server)
            for path in paths.values():
                _expect_ok(base + path)
            results: dict[str, list[float]] = {name: [] for name in paths}
            for _round in range(options["rounds"]):
                for name, path in paths.items():
                    rate = self._measure(loader, base + path, options)
                    results[name].append(rate)
                    self.stdout.write(f"  {name:<14} {rate:10.0f} req/s")
        finally:
            _stop(server)
        best = {name: max(rates) for name, rates in results.items()}
        ratio = best["button iframe"] / best["trivial view"] if best["trivial view"] else 0.0
        verdict = "OK" if ratio >= TARGET_RATIO else "BELOW TARGET"
        self.stdout.write("")
        self.stdout.write(f"button iframe: {best['button iframe']:.0f} req/s  ({button_path})")
        self.stdout.write(f"trivial view:  {best['trivial view']:.0f} req/s  (/bench/trivial)")
        self.stdout.write(
            self.style.SUCCESS(f"ratio button/trivial: {ratio:.2f} (target >= {TARGET_RATIO}) ")
            + verdict
        )
        if options["fail_below"] and ratio < options["fail_below"]:
            raise CommandError(f"Ratio {ratio:.2f} is below {options['fail_below']}.")

    def _bench_thing(self):
        from accounts.models import User
        from flattr.services import thing_for_auto_submit

        owner, _ = User.objects.get_or_create(
            username=BENCH_USERNAME, defaults={"email": "bench@example.org", "is_active": True}
        )
        return thing_for_auto_submit(owner=owner, url=BENCH_URL, title=BENCH_TITLE)

    def _loader(self, choice: str) -> str:
        if choice == "wrk" and not shutil.which("wrk"):
            raise CommandError("wrk is not installed (apt-get install -y wrk).")
        if choice == "auto":
            return "wrk" if shutil.which("wrk") else "python"
        return choice

    def _start_gunicorn(self, port: int, workers: int) -> subprocess.Popen:
        env = dict(os.environ)
        env.update(
            {
                "FLATTR_ENV": "production" if settings.PRODUCTION else "development",
                "DEBUG": "false",
                "BENCH_TRIVIAL_VIEW": "true",
                "DATABASE_URL": _database_url(),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "false",
                "LOG_LEVEL": "WARNING",
                "CONN_MAX_AGE": "600",
            }
        )
        if settings.REDIS_URL:
            env["REDIS_URL"] = settings.REDIS_URL
            env["CACHE_KEY_PREFIX"] = settings.CACHE_KEY_PREFIX
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "flattr.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ]
        return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=settings.BASE_DIR, env=env, start_new_session=True
        )

    def _wait_until_up(self, base: str, server: subprocess.Popen) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn exited with {server.returncode} while starting.")
            try:
                with urllib.request.urlopen(base + "/bench/trivial", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise CommandError("gunicorn did not answer within 30 seconds.")

    def _measure(self, loader: str, url: str, options: dict) -> float:
        if loader == "wrk":
            return _wrk(url, options["seconds"], options["connections"])
        return _python_load(url, options["seconds"], options["connections"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    """Return a URL for the database this process uses (under pytest: the test database).

    A Unix-socket host (the embedded server) goes in the query string, where django-environ
    passes it on to psycopg as a connection option.
    """
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    name = quote(db["NAME"], safe="")
    host, port = db.get("HOST") or "", str(db.get("PORT") or "")
    if host.startswith("/"):
        query = urlencode({"host": host, **({"port": port} if port else {})})
        return f"postgres://{auth}/{name}?{query}"
    return f"postgres://{auth}{quote(host, safe='')}{':' + port if port else ''}/{name}"


def _expect_ok(url: str) -> None:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        if response.status != 200:
            raise CommandError(f"{url} answered {response.status}, not 200.")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


_WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_WRK_ERRORS = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")


def _wrk(url: str, seconds: float, connections: int) -> float:
    threads = max(1, min(2, connections))
    result = subprocess.run(  # noqa: S603
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", url],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    errors = _WRK_ERRORS.search(result.stdout)
    if errors and int(errors.group(1)):
        raise CommandError(f"{url}: {errors.group(1)} responses were not 2xx/3xx.")
    match = _WRK_RATE.search(result.stdout)
    if not match:
        raise CommandError(f"Could not read wrk's output:\n{result.stdout}")
    return float(match.group(1))


def _python_load(url: str, seconds: float, connections: int) -> float:
    """Keep `connections` clients busy for `seconds`; return successful responses per second."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    stop_at = time.monotonic() + seconds
    counts = [0] * connections
    failures = [0] * connections

    def client(i: int) -> None:
        conn = HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.monotonic() < stop_at:
            try:
                conn.request("GET", path, headers={"Connection": "keep-alive"})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[i] += 1
                else:
                    failures[i] += 1
                if response.will_close:
                    conn.close()
                    conn = HTTPConnection(parts.hostname, parts.port, timeout=10)
            except OSError:
                failures[i] += 1
                conn.close()
                conn = HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if sum(failures) > sum(counts) // 100:
        raise CommandError(f"{url}: {sum(failures)} failed requests.")
    return sum(counts) / elapsed
