"""`manage.py bench_load` runs the whole stack under locust and checks what it did.

Seven one-second phases with tiny numbers, in its own throwaway database copied from the test
database: real gunicorn, Redis, PostgreSQL and a Celery worker; every scenario's figures printed
beside the trivial view's, no request failed, the new flattrs the responses reported are exactly
the flattrs in the database, the worker delivered a webhook for each, and the ledger is clean.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from flattr.management.commands.bench_load import MIXED, SCENARIOS, YARDSTICK
from flattr.models import Flattr

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,  # sessions, cache and the worker's broker
    pytest.mark.timeout(180),
]


def test_the_load_benchmark_drives_the_stack_and_the_flattrs_match_the_clicks():
    test_database = connection.settings_dict["NAME"]
    out, err = StringIO(), StringIO()
    call_command(
        "bench_load",
        seconds=1,
        donors=12,
        things=12,
        users=1,
        workers=2,
        worker_concurrency=1,
        template=test_database,
        stdout=out,
        stderr=err,
    )
    text = out.getvalue()
    result = json.loads(text.strip().splitlines()[-1])

    assert connection.settings_dict["NAME"] == test_database  # back on the test database
    assert not Flattr.objects.exists()  # the load's flattrs stayed in its own database
    for name in SCENARIOS + [MIXED + name for name in SCENARIOS]:
        assert name in text
        row = result["scenarios"][name]
        assert row["requests"] > 0 and row["rps"] > 0 and row["p99_ms"] >= row["p50_ms"] > 0
        assert row["errors"] == 0
        assert row["p50_ratio"] is not None
        assert (row["rps_ratio"] is None) == name.endswith("confirm window")
    assert result["scenarios"][YARDSTICK]["rps_ratio"] == 1.0
    assert result["scenarios"][MIXED + YARDSTICK]["rps_ratio"] == 1.0
    assert result["problems"] == []
    assert result["clicks_new"] > 0
    assert result["flattrs_in_db"] == result["clicks_new"] and result["flattrs_match"] is True
    assert result["webhooks"]["delivered"] == result["flattrs_in_db"]
    assert result["webhooks_received"] >= result["flattrs_in_db"]
    assert result["ledger_check"] == "ok"
    assert "ledger check: ok" in text
    assert f"flattrs in the database: {result['flattrs_in_db']} " in text
