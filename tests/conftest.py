"""Suite-wide fixtures. Tests run on real PostgreSQL (DATABASE_URL or the embedded server)."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache

# Under CI a test of these marks that cannot run fails instead of skipping: a missing browser or
# Redis must never shrink the suite quietly.
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
MUST_RUN_UNDER_CI = ("e2e", "redis")


def pytest_collection_modifyitems(config, items):
    """Skip tests marked `redis` when there is no Redis, saying why.

    Without REDIS_URL the settings start an embedded Redis (flattr.embedded_redis), so this
    happens only with EMBEDDED_REDIS=false.
    """
    if settings.REDIS_URL:
        return
    skip = pytest.mark.skip(reason="needs a real Redis: set REDIS_URL, or leave EMBEDDED_REDIS on")
    for item in items:
        if item.get_closest_marker("redis"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI, turn the skip of a browser or Redis test into a failure that says why."""
    report = yield
    if CI and report.skipped and any(item.get_closest_marker(m) for m in MUST_RUN_UNDER_CI):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"CI=true: this test must run, but it was skipped: {reason}"
    return report


@pytest.fixture(scope="session", autouse=True)
def _flush_may_truncate_the_ledger():
    """Let the test runner's database flush (after each transactional test) empty the ledger.

    The ledger and share tables refuse TRUNCATE (payments migration 0010) unless the same
    transaction says `flattr.ledger_truncate = 'allowed'`; Django's flush is one transaction of
    TRUNCATE statements, so it says so first. Nothing outside the test runner does.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        allow = "SELECT set_config('flattr.ledger_truncate', 'allowed', true)"
        return original(self, [allow, *sql_list])

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


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
