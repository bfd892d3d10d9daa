"""Demo things for `make run`: Pat publishes a blog post, a podcast episode and a project; the
demo donors have flattred some of them this month, and Anna subscribes to the podcast. Safe to
run twice."""

from __future__ import annotations

import contextlib

from accounts.models import User
from flattr.errors import FlattrError
from flattr.models import Thing
from flattr.services import flattr_add, subscription_create, thing_create

DEMO_THINGS = [
    {
        "url": "https://pat.example.org/blog/why-bees-matter",
        "title": "Why bees matter",
        "description": "A long read about the bees on our balcony, with photos.",
        "category": "text",
        "tags": ["bees", "garden"],
    },
    {
        "url": "https://pat.example.org/podcast/episode-12",
        "title": "Pat's podcast, episode 12",
        "description": "Forty minutes on honey, hives and city rooftops.",
        "category": "audio",
        "tags": ["podcast", "bees"],
    },
    {
        "url": "https://github.com/pat-example/hive-monitor",
        "title": "Hive monitor (open source)",
        "description": "Firmware and a dashboard for sensors in a beehive.",
        "category": "software",
        "tags": ["python", "hardware"],
    },
]
# (donor username, indexes of DEMO_THINGS flattred this month)
DEMO_FLATTRS = [("anna", [0]), ("ben", [0, 1, 2]), ("cleo", [1]), ("dana", [0, 2])]


def load(stdout) -> None:
    pat = User.objects.filter(username="pat").first()
    if pat is None or Thing.objects.filter(owner=pat).exists():
        return
    things = [thing_create(owner=pat, language="en_GB", **fields) for fields in DEMO_THINGS]
    for username, indexes in DEMO_FLATTRS:
        donor = User.objects.filter(username=username).first()
        if donor is None:
            continue
        for index in indexes:
            # A demo donor without a budget simply does not flattr.
            with contextlib.suppress(FlattrError):
                flattr_add(donor=donor, thing=things[index])
    anna = User.objects.filter(username="anna").first()
    if anna is not None:
        with contextlib.suppress(FlattrError):
            subscription_create(donor=anna, thing=things[1], months=6)
    stdout.write(
        "Demo things: pat has 3 things with flattrs; try /explore/, /thing/<id>/embed/ as pat, "
        "and the dashboard as anna."
    )
