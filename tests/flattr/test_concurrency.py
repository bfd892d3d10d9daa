"""Fifty simultaneous clicks by one donor on one thing record one flattr: the database decides."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from flattr.errors import FlattrError
from flattr.models import Flattr, Thing
from flattr.selectors import thing_flattr_count
from flattr.services import flattr_add, flattr_via_auto_submit
from tests.factories import fund_user, make_thing, make_user

pytestmark = pytest.mark.django_db(transaction=True)

CONCURRENT = 50


def run_together(work, n=CONCURRENT):
    """Run `work(i)` in n threads released at the same moment; return the results."""
    barrier = threading.Barrier(n)

    def one(i):
        try:
            barrier.wait(timeout=30)
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def test_fifty_concurrent_flattr_calls_record_one_flattr():
    donor = fund_user(make_user())
    thing = make_thing()

    def click(_i):
        try:
            flattr_add(donor=donor, thing=thing)
            return "ok"
        except FlattrError as error:
            return error.code

    results = run_together(click)

    assert results.count("ok") == 1
    assert results.count("flattr_once") == CONCURRENT - 1
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1
    assert thing_flattr_count(thing.pk) == 1


def test_fifty_concurrent_confirmation_posts_record_one_flattr():
    donor = fund_user(make_user())
    thing = make_thing()
    clients = []
    for _ in range(CONCURRENT):
        client = Client()
        client.force_login(donor)
        clients.append(client)

    def post(i):
        return clients[i].post(f"/flattr/confirm/?thing={thing.pk}").status_code

    statuses = run_together(post)

    assert statuses.count(302) == 1  # the one that flattred is redirected to "done"
    assert statuses.count(200) == CONCURRENT - 1  # the rest are told "already flattred"
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1


def test_concurrent_first_flattrs_of_an_auto_submit_link_create_one_thing():
    owner = make_user()
    donors = [fund_user(make_user()) for _ in range(10)]

    def first_flattr(i):
        flattr_via_auto_submit(
            donor=donors[i], owner=owner, url="https://example.org/new", title="Brand new"
        )
        return "ok"

    assert run_together(first_flattr, n=10) == ["ok"] * 10
    thing = Thing.objects.get(owner=owner)
    assert Flattr.objects.filter(thing=thing).count() == 10
