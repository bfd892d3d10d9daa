"""bin/ensure-chromium waits for apt's lock instead of giving up, and fails under CI when the
browser still cannot be had (so the browser tests never skip quietly there)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bin" / "ensure-chromium"

# A stand-in for apt-get: refuses with apt's lock message LOCKED times, then "installs" Chromium.
FAKE_APT = """#!/bin/sh
n=$(cat "$STATE/calls" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$STATE/calls"
if [ "$n" -le "$LOCKED" ]; then
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
  exit 100
fi
case "$*" in *install*) printf '#!/bin/sh\\n' > "$CHROMIUM"; chmod +x "$CHROMIUM";; esac
exit 0
"""


@pytest.fixture
def fake_apt(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(FAKE_APT)
    (bin_dir / "apt-get").chmod(0o755)

    def run(*, locked: int, ci: str = "", **extra) -> subprocess.CompletedProcess:
        env = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "STATE": str(tmp_path),
            "LOCKED": str(locked),
            "CHROMIUM": str(tmp_path / "chromium"),
            "APT_LOCK_POLL_SECONDS": "0.1",
            "CI": ci,
            **extra,
        }
        return subprocess.run(
            ["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
        )

    return run


pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="installs only as root, like make test")


def test_a_held_apt_lock_is_waited_for_and_chromium_installed_after(fake_apt, tmp_path):
    result = fake_apt(locked=3)

    assert result.returncode == 0, result.stderr
    assert "apt is busy" in result.stderr
    assert (tmp_path / "chromium").exists()
    assert int((tmp_path / "calls").read_text()) == 3 + 2  # three refusals, update, install


def test_a_lock_held_past_the_wait_fails_under_ci(fake_apt, tmp_path):
    result = fake_apt(locked=1000, ci="true", APT_LOCK_WAIT_SECONDS="1")

    assert result.returncode == 1
    assert "Could not get lock" in result.stderr
    assert "under CI the browser tests must run" in result.stderr
    assert not (tmp_path / "chromium").exists()


def test_outside_ci_a_missing_browser_only_warns(fake_apt):
    result = fake_apt(locked=1000, APT_LOCK_WAIT_SECONDS="1")

    assert result.returncode == 0
    assert "browser tests will be skipped" in result.stderr
