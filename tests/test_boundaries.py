"""The arrows between apps hold: imports (import-linter) and table writes (tests/boundaries.py)."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.boundaries import ROOT, TableWriteCheck, sql_file_violations, written_tables


def test_the_import_contracts_hold():
    """`lint-imports` keeps the layers of ARCHITECTURE.md, lazy imports in functions included."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_no_sql_file_writes_another_apps_tables():
    assert sql_file_violations() == []


def test_written_tables_reads_every_kind_of_write():
    sql = """
        WITH moved AS (UPDATE payments_ledgeraccount SET balance = 0 RETURNING id)
        INSERT INTO "payments_transfer" (id) SELECT id FROM moved
        ON CONFLICT (key) DO UPDATE SET key = excluded.key;
        DELETE FROM ONLY flattr_flattr WHERE id IN (SELECT id FROM flattr_thing FOR UPDATE);
        -- UPDATE twitter_claims_platformaccount in a comment is no write
    """
    assert written_tables(sql) == {"payments_ledgeraccount", "payments_transfer", "flattr_flattr"}


@pytest.mark.django_db
def test_a_write_to_another_apps_table_is_caught():
    """A statement issued from twitter_claims' code that updates flattr's things is a violation;
    the same statement from flattr's code is not."""
    check = TableWriteCheck(violations=[])
    probe = "from django.db import connection\nwith connection.cursor() as c:\n    c.execute(SQL)\n"
    sql = "UPDATE flattr_thing SET hidden = hidden WHERE id = -1"
    suite_checks = list(connection.execute_wrappers)  # the suite's own check must not see it
    connection.execute_wrappers[:] = [check]
    try:
        exec(compile(probe, str(ROOT / "flattr" / "probe.py"), "exec"), {"SQL": sql})
        assert check.violations == []
        exec(compile(probe, str(ROOT / "twitter_claims" / "probe.py"), "exec"), {"SQL": sql})
    finally:
        connection.execute_wrappers[:] = suite_checks
    assert len(check.violations) == 1
    assert (
        "twitter_claims (twitter_claims/probe.py:3) writes flattr's table flattr_thing"
        in (check.violations[0])
    )
