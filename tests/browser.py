"""What every browser test shares: Debian's Chromium, the flags this machine needs, the marks."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + Django ORM

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")  # bin/ensure-chromium installs it
# No background networking: this machine has no internet, and Chromium's own calls would fail.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000

BROWSER_MARKS = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Chromium is not installed (make test installs it with apt-get when run as root)",
    ),
]
