"""The traffic of `manage.py bench_load`, run by locust in a process of its own (gevent).

Not imported by Django: `bench_load` writes a plan (JSON: paths, donors' session keys, thing
ids, the phase length) and points `BENCH_LOAD_PLAN` at it. The run is a sequence of phases of
equal length (PHASES): each scenario alone with the same number of users and no think time,
the trivial view first and again before the end (the yardstick), then all of them at once (the
mix, where every request waits in the same queue). Alone, a scenario's rate divided by the
trivial view's says what its work costs on this machine, now; in the mix, the rates say what
the stack holds with everything running.

A flattr click is what the button's confirmation window does: GET `/flattr/confirm/?thing=<id>`
with the donor's session (which sets the CSRF cookie and holds the form's token), then POST the
form back with that token. Each donor's visit clicks CLICKS_PER_VISIT things; every
REPEAT_EVERY-th click repeats the donor's previous thing on purpose, which must answer "already
flattred" and create nothing (one flattr per donor, thing and month). Each click's outcome is
judged from the response (a new flattr redirects to `…&done=1`), and the new (donor, thing)
pairs are written to `outcomes_path` at exit, with every request's figures, for the command to
compare with the database.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, LoadTestShape, constant, events, task

PLAN = json.loads(Path(os.environ["BENCH_LOAD_PLAN"]).read_text())
USERS = PLAN["users_per_scenario"]
PHASE_SECONDS = PLAN["phase_seconds"]
SCENARIOS = ["trivial", "button", "badge", "api", "clicks"]
PHASES = ["trivial", "button", "badge", "api", "clicks", "trivial", "mixed"]
CLICKS_PER_VISIT = 10  # clicks of one donor before the next donor's session takes over
REPEAT_EVERY = 10  # every 10th click of a donor repeats their previous thing
HEADERS = {"Accept-Language": "en"}  # the repeat is recognised by its English message
ALREADY = "already flattred"
SPAWN_RATE = 1000  # users per second: a phase starts at full strength
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_COOKIE = re.compile(re.escape(PLAN["csrf_cookie"]) + r"=([A-Za-z0-9]+)")

OUTCOMES: dict = {"new": [], "repeats": 0, "unexpected": []}
FIGURES: dict[str, dict] = {}  # request name → {"times": [ms…], "errors": n}
ERRORS: dict[str, int] = {}
_user_numbers = itertools.count()
_started = [0.0]


def phase_now() -> str:
    elapsed = time.monotonic() - _started[0]
    return PHASES[min(int(elapsed // PHASE_SECONDS), len(PHASES) - 1)]


class Phases(LoadTestShape):
    """USERS users through the single-scenario phases, USERS per scenario in the mix."""

    def tick(self):
        if not _started[0]:
            _started[0] = time.monotonic()
        elapsed = time.monotonic() - _started[0]
        if elapsed >= PHASE_SECONDS * len(PHASES):
            return None
        users = USERS * len(SCENARIOS) if phase_now() == "mixed" else USERS
        return users, SPAWN_RATE


class Visitor(FastHttpUser):
    wait_time = constant(0)
    # A click the server committed must be counted here too: never give up on a slow answer.
    network_timeout = 120.0
    connection_timeout = 30.0

    def on_start(self) -> None:
        self.number = next(_user_numbers)
        self.turn = -1
        self.visits: dict[str, itertools.cycle] = {}
        self.donor: dict[str, dict] = {}
        self.left: dict[str, int] = {}
        self.csrf: dict[str, tuple[str, str] | None] = {}
        self.flattred: dict[int, list[int]] = {}  # donor id → thing ids, in click order
        self.clicks: dict[int, int] = {}

    @task
    def visit(self) -> None:
        phase = phase_now()
        if phase == "mixed":
            scenario, name = SCENARIOS[self.number % len(SCENARIOS)], "mixed: {}"
        elif self.number >= USERS:  # left over from the mix while the run stops
            time.sleep(0.1)  # gevent's: lets the others finish
            return
        else:
            scenario, name = phase, "{}"
        if scenario == "trivial":
            self._get(["/bench/trivial"], name.format("trivial view (yardstick)"))
        elif scenario == "button":
            self._get(PLAN["button_paths"], name.format("button view"))
        elif scenario == "badge":
            self._get(PLAN["badge_paths"], name.format("badge view"))
        elif scenario == "api":
            self._get(PLAN["api_paths"], name.format("API read"))
        else:
            self._click(phase, name)

    def _get(self, paths: list[str], name: str) -> None:
        self.turn += 1
        self.client.cookiejar.clear()
        self.client.get(paths[self.turn % len(paths)], name=name, headers=HEADERS)

    # -- donors clicking -------------------------------------------------------------------

    def _donors(self, phase: str) -> None:
        """Take this user's share of the phase's donors (each donor belongs to one user)."""
        pool = PLAN["donors"][phase]
        share = self.number if phase == "clicks" else self.number // len(SCENARIOS)
        mine = pool[share % USERS :: USERS] or pool[:1]
        self.visits[phase] = itertools.cycle(mine)
        self._visit_next(phase)

    def _visit_next(self, phase: str) -> None:
        self.donor[phase] = next(self.visits[phase])
        self.left[phase] = CLICKS_PER_VISIT
        self.csrf[phase] = None

    def _target(self, donor: dict) -> tuple[int, bool]:
        """Return the thing the donor clicks now, and whether that should be a new flattr."""
        done = self.flattred.setdefault(donor["id"], [])
        count = self.clicks.get(donor["id"], 0)
        self.clicks[donor["id"]] = count + 1
        things = PLAN["thing_ids"]
        if done and count % REPEAT_EVERY == REPEAT_EVERY - 1:
            return done[-1], False
        if len(done) >= len(things):  # every thing flattred: only repeats are left
            return done[count % len(done)], False
        return things[(donor["offset"] + len(done)) % len(things)], True

    def _cookies(self, phase: str) -> dict[str, str]:
        cookie = f"{PLAN['session_cookie']}={self.donor[phase]['session']}"
        if self.csrf[phase]:
            cookie += f"; {PLAN['csrf_cookie']}={self.csrf[phase][0]}"
        return {**HEADERS, "Cookie": cookie}

    def _click(self, phase: str, name: str) -> None:
        if phase not in self.visits:
            self._donors(phase)
        donor = self.donor[phase]
        thing, expect_new = self._target(donor)
        path = f"/flattr/confirm/?thing={thing}"
        if self.csrf[phase] is None and not self._csrf_fetch(phase, path, name):
            return
        self.client.cookiejar.clear()
        headers = {
            **self._cookies(phase),
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.host,
            "Referer": self.host + path,
        }
        body = urlencode({"csrfmiddlewaretoken": self.csrf[phase][1]})
        with self.client.post(
            path,
            data=body,
            headers=headers,
            name=name.format("flattr click"),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code == 302 and "done=1" in location:
                outcome = "new"
                OUTCOMES["new"].append([donor["id"], thing])
                self.flattred[donor["id"]].append(thing)
            elif response.status_code == 200 and ALREADY in (response.text or ""):
                outcome = "repeat"
                OUTCOMES["repeats"] += 1
            else:
                outcome = None
                response.failure(f"click answered {response.status_code} {location}")
                OUTCOMES["unexpected"].append([donor["id"], thing, response.status_code])
            if outcome and (outcome == "new") != expect_new:
                response.failure(f"expected {'a new flattr' if expect_new else 'a repeat'}")
                OUTCOMES["unexpected"].append([donor["id"], thing, outcome])
        self.left[phase] -= 1
        if self.left[phase] <= 0:
            self._visit_next(phase)

    def _csrf_fetch(self, phase: str, path: str, name: str) -> bool:
        """Open the confirmation window as the donor: its form's token and the CSRF cookie."""
        self.client.cookiejar.clear()
        with self.client.get(
            path,
            name=name.format("confirm window"),
            headers=self._cookies(phase),
            catch_response=True,
        ) as response:
            token = _TOKEN.search(response.text or "")
            cookie = next(
                (c.value for c in self.client.cookiejar if c.name == PLAN["csrf_cookie"]), None
            )
            if cookie is None:
                found = _COOKIE.search(str(response.headers.get("Set-Cookie", "")))
                cookie = found.group(1) if found else None
            if response.status_code != 200 or not token or not cookie:
                response.failure(f"no confirmation form ({response.status_code})")
                return False
        self.csrf[phase] = (cookie, token.group(1))
        return True


@events.request.add_listener
def _count(request_type, name, response_time, exception=None, **kwargs) -> None:
    """Keep every response time (exact percentiles) and every failure, by request name."""
    figures = FIGURES.setdefault(name, {"times": [], "errors": 0})
    figures["times"].append(response_time)
    if exception is not None:
        figures["errors"] += 1
        key = f"{name}: {exception}"[:200]
        ERRORS[key] = ERRORS.get(key, 0) + 1


@events.quitting.add_listener
def _outcomes_write(environment, **kwargs) -> None:
    """Write the clicks' outcomes and each request name's figures (the users have stopped)."""
    stats = {}
    for name, figures in FIGURES.items():
        times = sorted(figures["times"])
        stats[name] = {
            "requests": len(times),
            "errors": figures["errors"],
            "rps": len(times) / PHASE_SECONDS / (2 if name == "trivial view (yardstick)" else 1),
            "p50_ms": round(_percentile(times, 0.50), 1),
            "p99_ms": round(_percentile(times, 0.99), 1),
        }
    Path(PLAN["outcomes_path"]).write_text(
        json.dumps({**OUTCOMES, "stats": stats, "errors": ERRORS})
    )


def _percentile(times: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted `times`."""
    if not times:
        return 0.0
    return times[min(len(times) - 1, max(0, int(fraction * len(times) + 0.999999) - 1))]
