"""Each app writes only its own tables (../shared/ARCHITECTURE.md), checked on real SQL.

`TableWriteCheck` is a database execute wrapper: for every INSERT, UPDATE or DELETE the test
suite sends, it finds the app whose code issued the statement (the innermost stack frame in one
of our apps) and the apps whose tables the statement writes (Django names tables
`<app label>_<model>`). A statement issued by one app that writes another app's table is a
violation; tests/conftest.py fails the test that caused it. Code that does not belong to an app
(tests, Django, migrations) and the modules that ARCHITECTURE.md lets cross layers (demo data,
benchmarks) are not judged.

`sql_file_violations` does the same for the set-based jobs in `<app>/sql/*.sql`, so a SQL file
that no test happens to run is judged too.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Longest first, so a table of `twitter_claims` is never taken for an app called `twitter`.
APPS = ("twitter_claims", "accounts", "payments", "flattr")
# Modules that may cross the layers (ARCHITECTURE.md: demo data and benchmark commands).
EXEMPT_PARTS = ("/migrations/", "/management/commands/demo_data.py", "/management/commands/bench_")
EXEMPT_NAMES = ("demo.py", "payday_demo.py")
_STDLIB = sysconfig.get_paths()["stdlib"] + os.sep

# Write targets: INSERT INTO t, UPDATE t (not `FOR UPDATE`, `FOR NO KEY UPDATE`, or
# `ON CONFLICT … DO UPDATE`, which write the INSERT's own table), DELETE FROM t, TRUNCATE t.
_WRITE = re.compile(
    r"""\b(?:INSERT\s+INTO|(?<!FOR\s)(?<!KEY\s)(?<!DO\s)UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)
        \s+(?:ONLY\s+)?(?:"?public"?\.)?"?([A-Za-z_][A-Za-z0-9_]*)"?""",
    re.IGNORECASE | re.VERBOSE,
)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def table_app(table: str) -> str | None:
    """Return the app that owns `table` by Django's naming, or None for other tables."""
    table = table.lower()
    for app in APPS:
        if table.startswith(app + "_"):
            return app
    return None


def written_tables(sql: str) -> set[str]:
    """Return the names of the tables a statement inserts into, updates or deletes from."""
    return {match.group(1).lower() for match in _WRITE.finditer(_COMMENT.sub(" ", sql))}


def _file_app(filename: str) -> str | bool | None:
    """Return the app a source file belongs to, None if it is no app's, False if exempt."""
    try:
        relative = Path(filename).resolve().relative_to(ROOT)
    except ValueError:
        return None
    parts = relative.parts
    if not parts or parts[0] not in APPS:
        return None
    path = "/" + relative.as_posix()
    if any(part in path for part in EXEMPT_PARTS) or relative.name in EXEMPT_NAMES:
        return False
    return parts[0]


def _transparent(filename: str) -> bool:
    """Frames that only carry a statement: Django's ORM and transactions, and the standard
    library (decorators, context managers)."""
    return f"{os.sep}django{os.sep}db{os.sep}" in filename or filename.startswith(_STDLIB)


def issuing_app(frame) -> str | bool | None:
    """Return the app whose code issued the statement: the innermost frame that is not the ORM.

    A statement that a library issues for its own reasons (allauth's login updating
    `last_login`) is that library's, not the app that called it.
    """
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _transparent(filename):
            return _file_app(filename)
        frame = frame.f_back
    return None


@dataclass
class TableWriteCheck:
    """An execute wrapper that records writes by one app to another app's tables."""

    violations: list[str]

    def __call__(self, execute, sql, params, many, context):
        if isinstance(sql, str) and _WRITE.search(sql):
            self._judge(sql, sys._getframe(1))
        return execute(sql, params, many, context)

    def _judge(self, sql: str, frame) -> None:
        app = issuing_app(frame)
        if not app:
            return
        for table in sorted(written_tables(sql)):
            owner = table_app(table)
            if owner and owner != app:
                where = _innermost_app_location(frame)
                self.violations.append(f"{app} ({where}) writes {owner}'s table {table}")


def _innermost_app_location(frame) -> str:
    while frame is not None:
        if _file_app(frame.f_code.co_filename):
            relative = Path(frame.f_code.co_filename).resolve().relative_to(ROOT)
            return f"{relative}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


def sql_file_violations() -> list[str]:
    """Judge every `<app>/sql/*.sql` file by the tables it writes."""
    problems = []
    for app in APPS:
        for path in sorted((ROOT / app / "sql").glob("*.sql")):
            for table in sorted(written_tables(path.read_text())):
                owner = table_app(table)
                if owner and owner != app:
                    problems.append(f"{path.relative_to(ROOT)} writes {owner}'s table {table}")
    return problems
