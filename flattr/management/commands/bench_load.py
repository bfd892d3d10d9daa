"""`make bench`, part three: the running stack under load, every figure beside a yardstick.

    manage.py bench_load --seconds 8 --donors 2000 --things 100

Creates (and afterwards drops) a throwaway database next to the configured one
(`<name>_bench_load`), migrates it and seeds it: donors with a budget and funds deposited as real
ledger rows (set-based, as bench_payday does), publishers whose things come from the services
(`thing_for_auto_submit`), and one `flattr.created` webhook per publisher pointing at a receiver
in this process. Each donor gets a session (the site's engine: a row and its Redis copy), as a
login would leave it. Then it starts the
stack on loopback: gunicorn (`--workers`) with development settings (DEBUG off) against that
database and REDIS_URL (else the embedded Redis), with a cache prefix and a Celery queue of its
own, and a real Celery worker on that queue, which delivers the webhooks while the load runs.

Locust (flattr/bench_locust.py) drives it in seven phases of `--seconds`, `--users` concurrent
users per scenario and no think time: the trivial view (the yardstick), button views, badge
views, API reads, donors flattring through the button's confirmation window (GET for the CSRF
token, then the POST; a tenth of the clicks repeat a thing on purpose), the trivial view again,
then all of them at once. The table gives each scenario's requests per second, p50 and p99
latency and errors, and their ratio to the trivial view's, measured in the same run.
Afterwards: the new flattrs the responses reported against the flattrs in the database (the
same pairs of donor and thing), the webhooks the worker delivered, and the ledger check. Any
mismatch, error or ledger problem exits non-zero. The last line of output is one JSON object.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import import_module
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.cache.backends.redis import RedisCache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from flattr.management.commands.bench_button import _database_url, _free_port

SCENARIOS = [
    "trivial view (yardstick)",
    "button view",
    "badge view",
    "API read",
    "confirm window",
    "flattr click",
]
YARDSTICK = SCENARIOS[0]
MIXED = "mixed: "  # the request names of the last phase, everything at once
PHASES = 7  # as flattr.bench_locust.PHASES: five scenarios alone, the trivial view again, the mix
DONOR_PREFIX = "load-donor-"
PUBLISHER_PREFIX = "load-publisher-"
THINGS_PER_PUBLISHER = 10
BUDGET_CENTS = 1000
DEPOSIT_CENTS = 5000
PATHS_PER_SCENARIO = 50  # distinct buttons, badges and API paths cycled through
SESSION_SECONDS = 24 * 3600
STARTUP_TIMEOUT_SECONDS = 60
DRAIN_TIMEOUT_SECONDS = 120  # for the worker to deliver the webhooks queued during the load
STOP_SECONDS = 15  # for gunicorn and the worker to shut down gracefully before SIGKILL
LOCUST_STOP_SECONDS = 60  # users finish the request in flight: a committed click is counted


class Command(BaseCommand):
    help = "Load the running stack (gunicorn, Redis, PostgreSQL, Celery) with locust; JSON last."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--seconds", type=int, default=8, help=f"length of each of the {PHASES} phases"
        )
        parser.add_argument("--donors", type=int, default=2000)
        parser.add_argument("--things", type=int, default=100)
        parser.add_argument("--users", type=int, default=4, help="concurrent users per scenario")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery processes")
        parser.add_argument("--port", type=int, default=0, help="gunicorn's port (0: any free)")
        parser.add_argument(
            "--database",
            default="",
            help="name of the throwaway database (default: <configured name>_bench_load)",
        )
        parser.add_argument(
            "--template",
            default="",
            help="copy this migrated database (no other sessions on it) instead of migrating",
        )
        parser.add_argument("--keep", action="store_true", help="keep the database, plan and logs")

    def handle(self, *args, **options) -> None:
        for name in ("seconds", "donors", "things", "users", "workers", "worker_concurrency"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        if not settings.REDIS_URL or settings.CELERY_BROKER_URL.startswith("memory"):
            raise CommandError(
                "bench_load needs Redis (sessions, cache and the worker's broker): set REDIS_URL, "
                "or leave EMBEDDED_REDIS unset for the embedded one."
            )
        self.started = time.monotonic()
        original = connection.settings_dict["NAME"]
        database = options["database"] or f"{original}_bench_load"
        self.run_id = f"bench-load-{os.getpid()}"
        self.prefix = f"{settings.CACHE_KEY_PREFIX}-{self.run_id}"
        self.workdir = Path(tempfile.mkdtemp(prefix="flattr-bench-load-"))
        self.processes: list[subprocess.Popen] = []
        receiver = _WebhookReceiver()
        try:
            self._database_recreate(database, template=options["template"])
            result = self._bench(options, receiver)
        finally:
            _stop_all(self.processes)
            self._log("stack stopped")
            receiver.close()
            connection.close()
            if not options["keep"]:
                self._database_drop(database)
            connection.settings_dict["NAME"] = original
            self._redis_forget()
            if options["keep"]:
                self._log(f"kept the plan and the logs in {self.workdir}")
            else:
                shutil.rmtree(self.workdir, ignore_errors=True)
        self._report(result)
        self.stdout.write(json.dumps(result, sort_keys=True))
        if result["problems"]:
            raise CommandError("bench_load failed: " + "; ".join(result["problems"]))

    # -- the throwaway database (as bench_payday) -------------------------------------------

    def _admin_connection(self) -> psycopg.Connection:
        params = connection.get_connection_params()
        params["dbname"] = "postgres"
        return psycopg.connect(**params, autocommit=True)

    def _database_recreate(self, name: str, *, template: str = "") -> None:
        connection.close()
        with self._admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            copied = False
            if template:
                try:
                    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                    copied = True
                except psycopg.errors.ObjectInUse:  # another session is on it: migrate instead
                    self._log(f"{template} is in use; migrating a new database instead")
                    template = ""
            if not copied:
                admin.execute(f'CREATE DATABASE "{name}"')
        connection.settings_dict["NAME"] = name
        self._log(f"database {name} created{f' from {template}' if template else ''}; migrating")
        call_command("migrate", verbosity=0, interactive=False)

    def _database_drop(self, name: str) -> None:
        with self._admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _log(self, message: str) -> None:
        self.stderr.write(f"[{time.monotonic() - self.started:5.1f}s] {message}")

    # -- the run ---------------------------------------------------------------------------

    def _bench(self, options: dict, receiver: _WebhookReceiver) -> dict:
        started = time.perf_counter()
        plan = self._seed(options, receiver.url)
        seed_s = time.perf_counter() - started
        self._log(
            f"seeded {options['donors']} donors, {len(plan['thing_ids'])} things in {seed_s:.1f}s"
        )
        port = options["port"] or _free_port()
        base = f"http://127.0.0.1:{port}"
        env = self._stack_env(base)
        self._start_gunicorn(env, port, options["workers"])
        self._start_worker(env, options["worker_concurrency"])
        self._wait_until_up(base)
        # Warm every gunicorn worker up (URL resolver, templates, connections) on every page.
        warm = ["/bench/trivial", plan["button_paths"][0], plan["badge_paths"][0]]
        for path in (warm + plan["api_paths"][:2]) * 2 * options["workers"]:
            _expect_ok(base + path)
        self._log(
            f"stack up on {base} (gunicorn {options['workers']} workers, Celery worker "
            f"x{options['worker_concurrency']}); locust: {options['users']} users per scenario, "
            f"{PHASES} phases of {options['seconds']}s"
        )
        stats, outcomes = self._locust(base, plan, options)
        self._log("load done; waiting for the worker's webhooks")
        drain_s, deliveries = self._drain()
        return self._result(options, stats, outcomes, deliveries, drain_s, receiver)

    def _seed(self, options: dict, receiver_url: str) -> dict:
        from accounts.models import User
        from flattr.api.webhooks import webhook_create
        from flattr.models import Thing
        from flattr.services import thing_for_auto_submit
        from payments.management.commands.bench_payday import _insert_series
        from payments.models import Budget, LedgerAccount
        from payments.services import system_account

        donors, things = options["donors"], options["things"]
        stripe = system_account(LedgerAccount.Kind.STRIPE)
        with connection.cursor() as cursor:
            _insert_series(
                cursor,
                User,
                donors,
                {
                    "username": f"'{DONOR_PREFIX}' || g",
                    "email": f"'{DONOR_PREFIX}' || g || '@example.org'",
                    "password": "'!'",  # unusable: the sessions below are their only way in
                },
            )
            cursor.execute(
                "SELECT min(id), max(id) FROM accounts_user WHERE username LIKE %s",
                [DONOR_PREFIX + "%"],
            )
            first, last = cursor.fetchone()
            if last - first + 1 != donors:
                raise CommandError("The donors' ids are not contiguous; is the database fresh?")
            base = first - 1
            _insert_series(
                cursor,
                Budget,
                donors,
                {"user_id": f"{base} + g", "monthly_cents": str(BUDGET_CENTS)},
            )
            _insert_series(
                cursor,
                LedgerAccount,
                donors,
                {"user_id": f"{base} + g", "kind": "'funds'", "label": "''"},
            )
            # Deposits as real ledger rows: Stripe clearing → each donor's funds; the balance
            # trigger moves the cached balances by exactly these rows.
            cursor.execute(
                """
                INSERT INTO payments_transfer (debit_id, credit_id, amount, kind, key,
                                               created_at, month, payday_id, memo)
                SELECT %(stripe)s, a.id, %(amount)s, 'deposit', 'bench-load:' || a.user_id,
                       now(), NULL, NULL, ''
                FROM payments_ledgeraccount a
                WHERE a.kind = 'funds' AND a.user_id BETWEEN %(first)s AND %(last)s
                """,
                {"stripe": stripe.pk, "amount": DEPOSIT_CENTS, "first": first, "last": last},
            )
        publishers = []
        thing_ids: list[int] = []
        for index in range(-(-things // THINGS_PER_PUBLISHER)):
            publisher = User.objects.create(
                username=f"{PUBLISHER_PREFIX}{index + 1}",
                email=f"{PUBLISHER_PREFIX}{index + 1}@example.org",
                password="!",
            )
            publishers.append(publisher)
            webhook_create(user=publisher, url=receiver_url, events=["flattr.created"])
            for number in range(THINGS_PER_PUBLISHER):
                if len(thing_ids) == things:
                    break
                thing = thing_for_auto_submit(
                    owner=publisher,
                    url=f"https://load.example.org/{publisher.username}/post-{number + 1}",
                    title=f"Load post {number + 1} of {publisher.username}",
                )
                thing_ids.append(thing.pk)
        sample = Thing.objects.filter(pk__in=thing_ids[:PATHS_PER_SCENARIO]).select_related("owner")
        button_paths = [
            "/button/view/?"
            + urlencode({"uid": thing.owner.username, "url": thing.url, "title": thing.title})
            for thing in sample
        ]
        api_paths = []
        for thing in sample:
            api_paths += [f"/rest/v2/things/{thing.pk}", f"/rest/v2/users/{thing.owner.username}"]
        plan = {
            "users_per_scenario": options["users"],
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "thing_ids": thing_ids,
            "button_paths": button_paths,
            "badge_paths": [f"/thing/{pk}/badge.svg" for pk in thing_ids[:PATHS_PER_SCENARIO]],
            "api_paths": api_paths[:PATHS_PER_SCENARIO],
            "phase_seconds": options["seconds"],
            "donors": self._sessions(User.objects.filter(pk__gte=first, pk__lte=last), things),
            "outcomes_path": str(self.workdir / "outcomes.json"),
        }
        (self.workdir / "plan.json").write_text(json.dumps(plan))
        return plan

    def _sessions(self, donors, things: int) -> list[dict]:
        """Store a logged-in session per donor in the stack's cache, as `auth.login` would.

        Logging in thousands of donors through the login form would measure the password hasher
        and trip the login rate limit; the session is the same either way.
        """
        # The site's own session engine (cached_db: the row in the database, a copy in Redis).
        SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

        cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": self.prefix})
        backend = settings.AUTHENTICATION_BACKENDS[0]
        sessions = []
        for index, donor in enumerate(donors.order_by("pk").iterator()):
            store = SessionStore()
            store._cache = cache
            store[SESSION_KEY] = str(donor.pk)
            store[BACKEND_SESSION_KEY] = backend
            store[HASH_SESSION_KEY] = donor.get_session_auth_hash()
            store.set_expiry(SESSION_SECONDS)
            store.create()
            offset = (index * 7) % things  # donors start at different things
            sessions.append({"id": donor.pk, "session": store.session_key, "offset": offset})
        half = max(1, len(sessions) // 2)  # the clicks phase's donors, then the mix's
        return {"clicks": sessions[:half], "mixed": sessions[half:] or sessions[:1]}

    # -- the stack -------------------------------------------------------------------------

    def _stack_env(self, base: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "FLATTR_ENV": "development",
                "DEBUG": "false",
                "SECRET_KEY": settings.SECRET_KEY,  # the sessions above are signed with it
                "BENCH_TRIVIAL_VIEW": "true",
                "DATABASE_URL": _database_url(),
                "REDIS_URL": settings.REDIS_URL,
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "CELERY_TASK_DEFAULT_QUEUE": self.run_id,
                "CACHE_KEY_PREFIX": self.prefix,
                "SITE_URL": base,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "false",
                "WEBHOOK_ALLOW_HTTP_LOOPBACK": "true",
                # The limit is still counted in Redis on every call; all load comes from one IP.
                "API_RATE_LIMIT_HOURLY": str(10**9),
                "LOG_LEVEL": "WARNING",
                "CONN_MAX_AGE": "600",
            }
        )
        return env

    def _spawn(self, command: list[str], env: dict, log: str) -> subprocess.Popen:
        with open(self.workdir / log, "wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def _start_gunicorn(self, env: dict, port: int, workers: int) -> None:
        self.gunicorn = self._spawn(
            [
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
                "--timeout",
                "120",
                "--preload",  # every worker ready at once, not importing Django under load
            ],
            env,
            "gunicorn.log",
        )

    def _start_worker(self, env: dict, concurrency: int) -> None:
        self.worker = self._spawn(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "flattr",
                "worker",
                "-l",
                "warning",
                "-Q",
                self.run_id,
                "-n",
                f"{self.run_id}@%h",
                "--concurrency",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
            ],
            env,
            "worker.log",
        )

    def _wait_until_up(self, base: str) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            for process, log in ((self.gunicorn, "gunicorn.log"), (self.worker, "worker.log")):
                if process.poll() is not None:
                    raise CommandError(
                        f"{log.split('.')[0]} exited with {process.returncode}:\n" + self._tail(log)
                    )
            try:
                with urllib.request.urlopen(base + "/bench/trivial", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise CommandError(f"gunicorn did not answer within {STARTUP_TIMEOUT_SECONDS} s.")

    def _tail(self, log: str, lines: int = 30) -> str:
        path = self.workdir / log
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def _locust(self, base: str, plan: dict, options: dict) -> tuple[dict, dict]:
        env = dict(os.environ, BENCH_LOAD_PLAN=str(self.workdir / "plan.json"))
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(Path(__file__).resolve().parents[2] / "bench_locust.py"),
            "--headless",
            "--host",
            base,
            "--stop-timeout",
            str(LOCUST_STOP_SECONDS),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        with open(self.workdir / "locust.log", "wb") as out:
            finished = subprocess.run(  # noqa: S603
                command, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
            )
        outcomes_path = Path(plan["outcomes_path"])
        # Locust exits 1 when any request failed; that is reported below, not an abort.
        if finished.returncode not in (0, 1) or not outcomes_path.exists():
            raise CommandError(
                f"locust exited with {finished.returncode}:\n" + self._tail("locust.log")
            )
        outcomes = json.loads(outcomes_path.read_text())
        return outcomes.pop("stats"), outcomes

    def _drain(self) -> tuple[float, dict[str, int]]:
        """Wait until the worker has sent every webhook queued during the load."""
        from flattr.api.models import WebhookDelivery

        started = time.monotonic()
        while time.monotonic() - started < DRAIN_TIMEOUT_SECONDS:
            pending = WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING).count()
            if pending == 0 or self.worker.poll() is not None:
                break
            time.sleep(0.25)
        counts = {
            state: WebhookDelivery.objects.filter(state=state).count()
            for state in WebhookDelivery.State.values
        }
        return time.monotonic() - started, counts

    def _redis_forget(self) -> None:
        """Delete what the run left in Redis: its cache and sessions, its queue."""
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            keys = list(client.scan_iter(match=f"{self.prefix}:*", count=1000))
            keys += [self.run_id, f"_kombu.binding.{self.run_id}"]
            keys += [f"_kombu.binding_permanent.{self.run_id}"]
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])
        finally:
            client.close()

    # -- the figures -----------------------------------------------------------------------

    def _result(self, options, stats, outcomes, deliveries, drain_s, receiver) -> dict:
        from flattr.models import Flattr
        from payments.selectors import ledger_check

        rows = {}
        for prefix in ("", MIXED):
            yard = _row(stats.get(prefix + YARDSTICK))
            for name in SCENARIOS:
                row = _row(stats.get(prefix + name))
                # The confirmation window opens once per donor visit, not in a loop of its own:
                # its rate is no measure of its cost, its latency is.
                closed_loop = name != "confirm window"
                row["rps_ratio"] = (
                    round(row["rps"] / yard["rps"], 3) if yard["rps"] and closed_loop else None
                )
                row["p50_ratio"] = (
                    round(row["p50_ms"] / yard["p50_ms"], 2) if yard["p50_ms"] else None
                )
                rows[prefix + name] = row
        new_pairs = [tuple(pair) for pair in outcomes["new"]]
        db_pairs = list(Flattr.objects.values_list("donor_id", "thing_id"))
        problems = []
        errors = sum(row["errors"] for row in rows.values())
        if errors:
            details = "; ".join(f"{n} x {e}" for e, n in list(outcomes["errors"].items())[:5])
            problems.append(f"{errors} requests failed ({details})")
        if outcomes["unexpected"]:
            problems.append(f"{len(outcomes['unexpected'])} clicks answered unexpectedly")
        if len(db_pairs) != len(new_pairs) or set(db_pairs) != set(new_pairs):
            problems.append(
                f"{len(db_pairs)} flattrs in the database, {len(new_pairs)} new flattrs clicked"
            )
        if not new_pairs:
            problems.append("no flattr click succeeded")
        if deliveries.get("delivered", 0) != len(db_pairs):
            problems.append(
                f"the worker delivered {deliveries.get('delivered', 0)} of {len(db_pairs)} webhooks"
            )
        ledger = ledger_check()
        problems += [f"ledger: {problem}" for problem in ledger]
        return {
            "seconds": options["seconds"],
            "donors": options["donors"],
            "things": options["things"],
            "users_per_scenario": options["users"],
            "gunicorn_workers": options["workers"],
            "scenarios": rows,
            "clicks_new": len(new_pairs),
            "clicks_repeat": outcomes["repeats"],
            "clicking_donors": len({donor for donor, _thing in new_pairs}),
            "flattrs_in_db": len(db_pairs),
            "flattrs_match": len(db_pairs) == len(new_pairs) and set(db_pairs) == set(new_pairs),
            "webhooks": deliveries,
            "webhooks_received": receiver.count,
            "drain_s": round(drain_s, 2),
            "ledger_check": ledger or "ok",
            "problems": problems,
        }

    def _report(self, result: dict) -> None:
        out = self.stdout
        out.write("")
        out.write(
            f"{'scenario':<34}{'requests':>9}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'errors':>8}{'x rps':>8}{'x p50':>8}"
        )
        for name, row in result["scenarios"].items():
            if name == MIXED + YARDSTICK:
                out.write("all at once:")
            out.write(
                f"{name:<34}{row['requests']:>9}{row['rps']:>9.1f}{row['p50_ms']:>8.0f}"
                f"{row['p99_ms']:>8.0f}{row['errors']:>8}{_ratio(row['rps_ratio']):>8}"
                f"{_ratio(row['p50_ratio']):>8}"
            )
        out.write(
            f"(each scenario alone for {result['seconds']}s, then all at once; "
            f"{result['users_per_scenario']} concurrent users per scenario, no think time; "
            "x rps, x p50: the figure divided by the trivial view's of the same phase kind, "
            "same run)"
        )
        out.write("")
        match = "yes" if result["flattrs_match"] else "NO"
        out.write(
            f"flattr clicks: {result['clicks_new']} new from {result['clicking_donors']} donors, "
            f'{result["clicks_repeat"]} repeats answered "already flattred"'
        )
        out.write(
            f"flattrs in the database: {result['flattrs_in_db']} "
            f"(same donor/thing pairs as the new clicks: {match})"
        )
        hooks = result["webhooks"]
        out.write(
            f"webhooks delivered by the Celery worker: {hooks.get('delivered', 0)} "
            f"(pending {hooks.get('pending', 0)}, failed {hooks.get('failed', 0)}; "
            f"receiver got {result['webhooks_received']}; drained {result['drain_s']}s after)"
        )
        ledger = result["ledger_check"]
        out.write(f"ledger check: {ledger if ledger == 'ok' else '; '.join(ledger)}")
        if result["problems"]:
            out.write(self.style.ERROR("FAILED: " + "; ".join(result["problems"])))
        else:
            out.write(self.style.SUCCESS("OK"))


def _row(stats: dict | None) -> dict:
    row = {"requests": 0, "rps": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": 0, **(stats or {})}
    row["rps"] = round(row["rps"], 1)
    return row


def _stop_all(processes: list[subprocess.Popen]) -> None:
    """Stop gunicorn and the worker together (each shuts down gracefully, in parallel)."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _expect_ok(url: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise CommandError(f"{url} answered {status}, not 200.")


class _WebhookReceiver:
    """The publishers' webhook endpoint: a loopback server that counts what it receives."""

    def __init__(self) -> None:
        receiver = self
        self.count = 0
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
