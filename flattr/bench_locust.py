"""The traffic of `manage.py bench_load`, run by locust in a process of its own (gevent).

Not imported by Django: `bench_load` writes a plan (JSON: paths, donors' session keys, thing
ids) and points `BENCH_LOAD_PLAN` at it. Every scenario is its own user class with the same
number of concurrent users (`fixed_count`) and no think time, so each is a closed loop over its
own connections and the scenarios' rates compare directly with the trivial view's, all measured
at once on the same machine.

A flattr click is what the button's confirmation window does: GET `/flattr/confirm/?thing=<id>`
with the donor's session (which sets the CSRF cookie and holds the form's token), then POST the
form back with that token. Each donor's visit clicks CLICKS_PER_VISIT things; every
REPEAT_EVERY-th click repeats the donor's previous thing on purpose, which must answer "already
flattred" and create nothing (one flattr per donor, thing and month). Each click's outcome is
judged from the response (a new flattr redirects to `…&done=1`), and the new (donor, thing) pairs
are written to `outcomes_path` at exit for the command to compare with the database.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, constant, events, task

PLAN = json.loads(Path(os.environ["BENCH_LOAD_PLAN"]).read_text())
USERS = PLAN["users_per_scenario"]
CLICKS_PER_VISIT = 10  # clicks of one donor before the next donor's session takes over
REPEAT_EVERY = 10  # every 10th click of a donor repeats their previous thing
HEADERS = {"Accept-Language": "en"}  # the repeat is recognised by its English message
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_COOKIE = re.compile(re.escape(PLAN["csrf_cookie"]) + r"=([A-Za-z0-9]+)")
ALREADY = "already flattred"

OUTCOMES: dict = {"new": [], "repeats": 0, "unexpected": []}
_donor_slots = itertools.count()


class _Scenario(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    fixed_count = USERS
    # A click the server committed must be counted here too: never give up on a slow answer.
    network_timeout = 120.0
    connection_timeout = 30.0

    def _get(self, paths: list[str], name: str) -> None:
        self.client.cookiejar.clear()
        self.client.get(self._pick(paths), name=name, headers=HEADERS)

    def _pick(self, paths: list[str]) -> str:
        self.turn = getattr(self, "turn", -1) + 1
        return paths[self.turn % len(paths)]


class TrivialView(_Scenario):
    @task
    def trivial(self) -> None:
        self._get(["/bench/trivial"], "trivial view (yardstick)")


class ButtonView(_Scenario):
    @task
    def button(self) -> None:
        self._get(PLAN["button_paths"], "button view")


class BadgeView(_Scenario):
    @task
    def badge(self) -> None:
        self._get(PLAN["badge_paths"], "badge view")


class ApiRead(_Scenario):
    @task
    def api(self) -> None:
        self._get(PLAN["api_paths"], "API read")


class DonorClicks(_Scenario):
    """Donors clicking: this user's donors are every USERS-th of the plan's, one visit each."""

    def on_start(self) -> None:
        slot = next(_donor_slots) % USERS
        self.donors = PLAN["donors"][slot::USERS] or PLAN["donors"][:1]
        self.things = PLAN["thing_ids"]
        self.visits = itertools.cycle(self.donors)
        self.flattred: dict[int, list[int]] = {}  # donor id → thing ids, in click order
        self.clicks: dict[int, int] = {}
        self._visit_next()

    def _visit_next(self) -> None:
        self.donor = next(self.visits)
        self.left = CLICKS_PER_VISIT
        self.csrf: tuple[str, str] | None = None

    def _target(self, donor: dict) -> tuple[int, bool]:
        """Return the thing the donor clicks now, and whether that should be a new flattr."""
        done = self.flattred.setdefault(donor["id"], [])
        count = self.clicks.get(donor["id"], 0)
        self.clicks[donor["id"]] = count + 1
        if done and count % REPEAT_EVERY == REPEAT_EVERY - 1:
            return done[-1], False
        if len(done) >= len(self.things):  # every thing flattred: only repeats are left
            return done[count % len(done)], False
        return self.things[(donor["offset"] + len(done)) % len(self.things)], True

    def _cookies(self) -> dict[str, str]:
        cookie = f"{PLAN['session_cookie']}={self.donor['session']}"
        if self.csrf:
            cookie += f"; {PLAN['csrf_cookie']}={self.csrf[0]}"
        return {**HEADERS, "Cookie": cookie}

    @task
    def click(self) -> None:
        thing, expect_new = self._target(self.donor)
        path = f"/flattr/confirm/?thing={thing}"
        if self.csrf is None and not self._csrf_fetch(path):
            return
        self.client.cookiejar.clear()
        headers = {
            **self._cookies(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.host,
            "Referer": self.host + path,
        }
        body = urlencode({"csrfmiddlewaretoken": self.csrf[1]})
        with self.client.post(
            path,
            data=body,
            headers=headers,
            name="flattr click",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code == 302 and "done=1" in location:
                outcome = "new"
            elif response.status_code == 200 and ALREADY in (response.text or ""):
                outcome = "repeat"
            else:
                response.failure(f"click answered {response.status_code} {location}")
                OUTCOMES["unexpected"].append([self.donor["id"], thing, response.status_code])
                outcome = None
            if outcome == "new":
                OUTCOMES["new"].append([self.donor["id"], thing])
                self.flattred[self.donor["id"]].append(thing)
            elif outcome == "repeat":
                OUTCOMES["repeats"] += 1
            if outcome and (outcome == "new") != expect_new:
                response.failure(f"expected {'a new flattr' if expect_new else 'a repeat'}")
                OUTCOMES["unexpected"].append([self.donor["id"], thing, outcome])
        self.left -= 1
        if self.left <= 0:
            self._visit_next()

    def _csrf_fetch(self, path: str) -> bool:
        """Open the confirmation window as the donor: its form's token and the CSRF cookie."""
        self.client.cookiejar.clear()
        with self.client.get(
            path, name="confirm window", headers=self._cookies(), catch_response=True
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
        self.csrf = (cookie, token.group(1))
        return True


@events.quitting.add_listener
def _outcomes_write(environment, **kwargs) -> None:
    """Write the clicks' outcomes and each scenario's final figures (the users have stopped)."""
    stats = {}
    for entry in environment.runner.stats.entries.values():
        stats[entry.name] = {
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            "rps": entry.total_rps,
            "p50_ms": entry.get_response_time_percentile(0.5) if entry.num_requests else 0,
            "p99_ms": entry.get_response_time_percentile(0.99) if entry.num_requests else 0,
        }
    errors = {
        f"{error.name}: {error.error}": error.occurrences
        for error in environment.runner.stats.errors.values()
    }
    Path(PLAN["outcomes_path"]).write_text(
        json.dumps({**OUTCOMES, "stats": stats, "errors": errors})
    )
