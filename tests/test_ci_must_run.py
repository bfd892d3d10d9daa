"""Under CI=true a browser or Redis test that cannot run fails instead of skipping (so a missing
Chromium or Redis can never shrink the suite quietly); elsewhere it skips, saying why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BROWSER_TEST = "tests/test_foundation_browser.py::test_the_first_tab_reaches_the_skip_link"
REDIS_TEST = "tests/test_foundation_celery.py::test_a_real_worker_runs_a_task_sent_through_redis"


def run_pytest(**env: str) -> subprocess.CompletedProcess:
    """Run a browser test and a Redis test in a fresh pytest, with no Redis and no Chromium."""
    clean = {k: v for k, v in os.environ.items() if k not in {"CI", "REDIS_URL"}}
    clean |= {"CHROMIUM": "/nonexistent/chromium", "EMBEDDED_REDIS": "false", **env}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", BROWSER_TEST, REDIS_TEST],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_under_ci_a_browser_or_redis_test_that_cannot_run_fails_saying_why():
    result = run_pytest(CI="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.count("CI=true: this test must run, but it was skipped") >= 2
    assert "skipped" not in result.stdout.splitlines()[-1], result.stdout


def test_elsewhere_they_skip_saying_why():
    result = run_pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 skipped" in result.stdout.splitlines()[-1]
    assert "Chromium is not installed" in result.stdout
    assert "needs a real Redis" in result.stdout
