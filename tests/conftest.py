"""Suite-wide fixtures. Tests run on real PostgreSQL (DATABASE_URL or the embedded server)."""

import os

import pytest
from django.core.cache import cache

REDIS_URL = os.environ.get("REDIS_URL", "")


def pytest_collection_modifyitems(config, items):
    """Skip tests marked `redis` when no Redis is configured, saying why."""
    if REDIS_URL:
        return
    skip = pytest.mark.skip(
        reason="needs a real Redis: set REDIS_URL (CI does; the embedded default has none)"
    )
    for item in items:
        if "redis" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start every test with an empty cache, so rate limits and counts do not leak."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _ledger_balances_after_test(request):
    """After every test that used the database, the books must balance (payments.ledger_check)."""
    yield
    if "django_db_setup" not in request.fixturenames:
        return
    from payments.selectors import ledger_check

    problems = ledger_check()
    assert problems == [], "ledger_check() after the test: " + "; ".join(problems)


# ---- Each app writes only its own tables (tests/boundaries.py) ----

_TABLE_WRITES = None


@pytest.fixture(autouse=True)
def _app_writes_only_its_own_tables(request):
    """Fail a test whose code made one app write another app's table (ARCHITECTURE.md)."""
    global _TABLE_WRITES
    if "django_db_setup" not in request.fixturenames:
        yield
        return
    from django.db import connection

    from tests.boundaries import TableWriteCheck

    if _TABLE_WRITES is None:
        _TABLE_WRITES = TableWriteCheck(violations=[])
    if _TABLE_WRITES not in connection.execute_wrappers:
        connection.execute_wrappers.append(_TABLE_WRITES)
    seen = len(_TABLE_WRITES.violations)
    yield
    found = _TABLE_WRITES.violations[seen:]
    del _TABLE_WRITES.violations[seen:]
    assert not found, "an app wrote another app's tables: " + "; ".join(sorted(set(found)))
