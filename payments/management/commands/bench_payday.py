"""Benchmark payday at scale in a throwaway database, against the floor of one INSERT … SELECT.

    manage.py bench_payday --donors 100000 --flattrs-per-donor 10

Creates (and afterwards drops) a database next to the configured one, migrates it, builds the
data set-based with generate_series (users, budgets, things, flattrs, and deposits as real ledger
rows, so `ledger_check()` holds), runs payday, runs it again, and measures the floor: the time to
insert the same number of ledger rows with one INSERT … SELECT into a scratch table shaped like
payments_transfer (same columns, checks, indexes, foreign keys and triggers; the floor without
the foreign keys and triggers is reported too, as `floor_plain_s` and `ratio_plain`). The last
line of output is one JSON object.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models

from accounts.models import User
from flattr.celery import app as celery_app
from flattr.models import Flattr, Thing
from payments.models import Budget, LedgerAccount, Transfer
from payments.months import month_previous, month_start
from payments.payday import PaydayProgress, payday_run
from payments.selectors import ledger_check
from payments.services import system_account

# Shape of the generated data (documented in the README's payday section).
DONORS_PER_PUBLISHER = 10
THINGS_PER_PUBLISHER = 2
POOL_EVERY = 20  # every 20th thing is an unclaimed account's held pool
CLOSED_EVERY = 97  # and every 97th thing is closed (its flattrs do not count)
EARNINGS_SPENDER_EVERY = 10  # every 10th donor also spends earnings
CHARITY_GIVERS_PER_DONORS = 50  # plus one donor in 50 without flattrs who gives to charity
THING_STRIDE = 7919  # a prime: donor i's flattrs land on distinct, spread-out things


class Command(BaseCommand):
    help = "Benchmark payday at scale in a throwaway database; prints one JSON line last."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--donors", type=int, default=100_000)
        parser.add_argument("--flattrs-per-donor", type=int, default=10)
        parser.add_argument(
            "--database",
            default="",
            help="name of the throwaway database (default: <configured name>_bench)",
        )
        parser.add_argument("--keep", action="store_true", help="do not drop the database")

    def handle(self, *args, **options) -> None:
        donors = options["donors"]
        per_donor = options["flattrs_per_donor"]
        if donors < 1 or per_donor < 1:
            raise CommandError("--donors and --flattrs-per-donor must be at least 1.")
        name = options["database"] or f"{settings.DATABASES['default']['NAME']}_bench"
        self._database_recreate(name)
        # Payday only queues its notification emails (Celery, after commit); here they go to an
        # in-memory broker nobody consumes, so the timing is payday's own work, as in production.
        celery_app.conf.task_always_eager = False
        celery_app.conf.broker_url = "memory://"
        try:
            result = self._bench(donors, per_donor)
        finally:
            connection.close()
            if not options["keep"]:
                self._database_drop(name)
        self.stdout.write(json.dumps(result, sort_keys=True))

    # -- the throwaway database ------------------------------------------------------------

    def _admin_connection(self) -> psycopg.Connection:
        params = connection.get_connection_params()
        params["dbname"] = "postgres"
        return psycopg.connect(**params, autocommit=True)

    def _database_recreate(self, name: str) -> None:
        connection.close()
        with self._admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        connection.settings_dict["NAME"] = name
        self._log(f"database {name} created; migrating")
        call_command("migrate", verbosity=0, interactive=False)

    def _database_drop(self, name: str) -> None:
        with self._admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _log(self, message: str) -> None:
        self.stderr.write(message)

    # -- the run ---------------------------------------------------------------------------

    def _bench(self, donors: int, per_donor: int) -> dict:
        month = month_previous(month_start())
        started = time.perf_counter()
        self._data_build(donors, per_donor, month)
        build_s = time.perf_counter() - started
        flattrs = Flattr.objects.count()
        self._log(f"built {flattrs} flattrs in {build_s:.1f}s; vacuum analyze")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

        stage_times: dict[str, float] = {}
        mark = [time.perf_counter()]

        def progress(step: PaydayProgress) -> None:
            if step.done == step.total:
                now = time.perf_counter()
                stage_times[str(step.stage)] = round(now - mark[0], 3)
                mark[0] = now

        steps = _StepTimes()
        payday_logger = logging.getLogger("payments.payday")
        payday_logger.addHandler(steps)
        payday_logger.propagate = False
        level = payday_logger.level
        payday_logger.setLevel(logging.DEBUG)
        rows_before = Transfer.objects.count()
        started = time.perf_counter()
        try:
            summary = payday_run(month=month, progress=progress)
        finally:
            payday_logger.removeHandler(steps)
            payday_logger.setLevel(level)
            payday_logger.propagate = True
        payday_s = time.perf_counter() - started
        self._log("payday steps (seconds, summed over chunks):")
        for label, seconds in sorted(steps.totals.items(), key=lambda item: -item[1]):
            self._log(f"  {seconds:8.2f}  {label}")
        payday_rows = Transfer.objects.count() - rows_before
        self._log(f"payday: {payday_s:.2f}s, {payday_rows} ledger rows, stages {stage_times}")

        rows_before = Transfer.objects.count()
        started = time.perf_counter()
        payday_run(month=month)
        rerun_s = time.perf_counter() - started
        rerun_new_rows = Transfer.objects.count() - rows_before
        self._log(f"rerun: {rerun_s:.2f}s, {rerun_new_rows} new rows")

        # The floor is the same rows into an identical table (its reference checks included);
        # the plain floor (no foreign keys, no triggers) is reported too, with its ratio.
        floor_s = self._floor(payday_rows, month, checks=True)
        floor_plain_s = self._floor(payday_rows, month, checks=False)
        self._log(
            f"floor: {floor_s:.2f}s for {payday_rows} rows ({floor_plain_s:.2f}s without checks)"
        )
        problems = ledger_check()
        return {
            "donors": donors,
            "flattrs": flattrs,
            "shares": summary.shares,
            "ledger_rows": payday_rows,
            "build_s": round(build_s, 2),
            "payday_s": round(payday_s, 3),
            "stage_s": stage_times,
            "rerun_s": round(rerun_s, 3),
            "rerun_new_rows": rerun_new_rows,
            "floor_s": round(floor_s, 4),
            "floor_plain_s": round(floor_plain_s, 4),
            "ratio_plain": round(payday_s / floor_plain_s, 3) if floor_plain_s else None,
            "ratio": round(payday_s / floor_s, 3) if floor_s else None,
            "total_cents": summary.total_cents,
            "fees_cents": summary.fees_cents,
            "ledger_check": problems or "ok",
        }

    def _floor(self, rows: int, month: dt.date, *, checks: bool) -> float:
        """Time one INSERT … SELECT of `rows` transfer-like rows into a scratch copy of
        payments_transfer: same columns, defaults, checks and indexes (LIKE … INCLUDING ALL)
        and, with `checks`, the same foreign keys and triggers too (copied from the catalogue),
        with every row referencing real accounts and this month's payday, as payday's rows do."""
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_floor")
            cursor.execute("CREATE TABLE bench_floor (LIKE payments_transfer INCLUDING ALL)")
            if checks:
                cursor.execute(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'payments_transfer'::regclass AND contype = 'f'"
                )
                for (definition,) in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE bench_floor ADD {definition}")
                # The reference check runs as a statement trigger (migration 0007): the floor
                # pays for it too, as for every trigger of the table.
                # Not the balance trigger: moving balances is payday's own work (its SQL did it
                # before the trigger did), so the floor stays what it measured before, the cost
                # of the rows themselves; the floor's made-up rows must not move real balances.
                cursor.execute(
                    "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                    "WHERE tgrelid = 'payments_transfer'::regclass AND NOT tgisinternal "
                    "AND tgname NOT IN ('payments_transfer_balances_move', "
                    "'payments_transfer_no_truncate')"
                )
                for (definition,) in cursor.fetchall():
                    cursor.execute(
                        definition.replace(
                            "CREATE TRIGGER ", "CREATE TRIGGER bench_floor_", 1
                        ).replace(" ON public.payments_transfer ", " ON bench_floor ", 1)
                    )
            cursor.execute(
                "SELECT array_agg(id ORDER BY id) FROM payments_ledgeraccount "
                "WHERE kind IN ('funds', 'earnings', 'pool')"
            )
            accounts = cursor.fetchone()[0]
            cursor.execute("SELECT id FROM payments_payday WHERE month = %s", [month])
            payday_id = cursor.fetchone()[0]
            started = time.perf_counter()
            cursor.execute(
                """
                INSERT INTO bench_floor (debit_id, credit_id, amount, kind, key, created_at,
                                         month, payday_id, memo)
                SELECT a[1 + g %% n], a[1 + (g + 1) %% n], 1 + g %% 97, 'share',
                       %(prefix)s || g, now(), %(month)s, %(payday)s, ''
                FROM (SELECT %(accounts)s::bigint[] AS a,
                             cardinality(%(accounts)s::bigint[]) AS n) acc,
                     generate_series(1, %(rows)s) g
                """,
                {
                    "accounts": accounts,
                    "payday": payday_id,
                    "prefix": f"payday:{month:%Y-%m}:share:",
                    "month": month,
                    "rows": rows,
                },
            )
            elapsed = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_floor")
        return elapsed

    # -- the data, set-based -------------------------------------------------------------

    def _data_build(self, donors: int, per_donor: int, month: dt.date) -> None:
        publishers = max(1, donors // DONORS_PER_PUBLISHER)
        things = max(per_donor, publishers * THINGS_PER_PUBLISHER)
        charity_givers = donors // CHARITY_GIVERS_PER_DONORS
        users = donors + charity_givers + publishers
        stripe = system_account(LedgerAccount.Kind.STRIPE)
        system_account(LedgerAccount.Kind.FEES)
        system_account(LedgerAccount.Kind.CHARITY)
        with connection.cursor() as cursor:
            # Users 1..donors donate, then charity givers, then publishers.
            _insert_series(
                cursor,
                User,
                users,
                {
                    "username": "'bench' || g",
                    "email": "'bench' || g || '@example.org'",
                    "password": "'!'",
                },
            )
            cursor.execute("SELECT min(id) FROM accounts_user WHERE username LIKE 'bench%'")
            base = cursor.fetchone()[0] - 1
            donor_sql = f"{base} + g"
            _insert_series(
                cursor,
                Budget,
                donors + charity_givers,
                {
                    "user_id": donor_sql,
                    "monthly_cents": "200 + (g * 37) %% 1800",
                    "use_earnings": f"g %% {EARNINGS_SPENDER_EVERY} = 0",
                    "unused_to_charity": f"g > {donors}",
                },
            )
            # Funds for every donor (some below their budget), earnings for the spenders, and
            # an earnings account for every publisher.
            _insert_series(
                cursor,
                LedgerAccount,
                donors + charity_givers,
                {"user_id": donor_sql, "kind": "'funds'", "label": "''"},
            )
            _insert_series(
                cursor,
                LedgerAccount,
                donors // EARNINGS_SPENDER_EVERY,
                {
                    "user_id": f"{base} + g * {EARNINGS_SPENDER_EVERY}",
                    "kind": "'earnings'",
                    "label": "''",
                },
            )
            _insert_series(
                cursor,
                LedgerAccount,
                publishers,
                {
                    "user_id": f"{base} + {donors + charity_givers} + g",
                    "kind": "'earnings'",
                    "label": "''",
                },
            )
            pools = things // POOL_EVERY
            _insert_series(
                cursor,
                LedgerAccount,
                pools,
                {"user_id": "NULL", "kind": "'pool'", "label": "'bench pool ' || g"},
            )
            self._fund(cursor, stripe.pk, month)
            # Things: each publisher owns THINGS_PER_PUBLISHER; every POOL_EVERY-th is a pool's.
            cursor.execute(
                "SELECT array_agg(id ORDER BY user_id) FROM payments_ledgeraccount "
                "WHERE kind = 'earnings' AND user_id > %s",
                [base + donors + charity_givers],
            )
            publisher_accounts = cursor.fetchone()[0]
            cursor.execute(
                "SELECT array_agg(id ORDER BY id) FROM payments_ledgeraccount WHERE kind = 'pool'"
            )
            pool_accounts = cursor.fetchone()[0] or [None]
            cursor.execute(
                "CREATE TEMP TABLE bench_accounts AS SELECT %s::bigint[] AS pubs, "
                "%s::bigint[] AS pools",
                [publisher_accounts, pool_accounts],
            )
            # SQL expressions below are built from this command's own integers only.
            pub_index = f"1 + (g - 1) %% {publishers}"
            _insert_series(
                cursor,
                Thing,
                things,
                {
                    "owner_id": f"CASE WHEN g %% {POOL_EVERY} = 0 THEN NULL "
                    f"ELSE {base} + {donors + charity_givers} + {pub_index} END",
                    "payee_id": f"CASE WHEN g %% {POOL_EVERY} = 0 "  # noqa: S608
                    f"THEN (SELECT pools[1 + (g / {POOL_EVERY} - 1) %% cardinality(pools)] "
                    "FROM bench_accounts) "
                    f"ELSE (SELECT pubs[{pub_index}] FROM bench_accounts) END",
                    "url": "'https://bench.example.org/thing/' || g",
                    "title": "'Bench thing ' || g",
                    "closed": f"g %% {CLOSED_EVERY} = 0",
                },
            )
            cursor.execute("SELECT min(id) FROM flattr_thing")
            thing_base = cursor.fetchone()[0] - 1
            # Flattrs: donor d clicks things (d * STRIDE + j) mod things, j < per_donor.
            _insert_series(
                cursor,
                Flattr,
                donors * per_donor,
                {
                    "donor_id": f"{base} + 1 + (g - 1) / {per_donor}",
                    "thing_id": f"{thing_base} + 1 + (((g - 1) / {per_donor}) * {THING_STRIDE} "
                    f"+ (g - 1) %% {per_donor}) %% {things}",
                    "month": "%(month)s",
                    "created_at": "%(month)s::timestamptz + (g * interval '1 second')",
                },
                {"month": month},
            )

    def _fund(self, cursor, stripe_id: int, month: dt.date) -> None:
        """Deposits as real ledger rows: Stripe clearing → each donor's funds (and earnings for
        the spenders); the balance trigger moves the cached balances by exactly those rows."""
        cursor.execute(
            """
            INSERT INTO payments_transfer (debit_id, credit_id, amount, kind, key,
                                               created_at, month, payday_id, memo)
                SELECT %(stripe)s, a.id,
                       CASE a.kind WHEN 'funds' THEN 100 + (a.user_id * 53) %% 3000
                                   ELSE 100 + (a.user_id * 31) %% 1500 END,
                       CASE a.kind WHEN 'funds' THEN 'deposit' ELSE 'adjustment' END,
                       'bench:' || a.kind || ':' || a.user_id, now(), NULL, NULL, ''
                FROM payments_ledgeraccount a
                JOIN payments_budget b ON b.user_id = a.user_id
                WHERE a.kind IN ('funds', 'earnings')
            """,
            {"stripe": stripe_id},
        )


class _StepTimes(logging.Handler):
    """Collect payday's per-statement debug timings ("0.123s label"), summed by label."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.totals: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        seconds, label = record.getMessage().split("s ", 1)
        self.totals[label] = self.totals.get(label, 0.0) + float(seconds)


def _insert_series(cursor, model, count: int, columns: dict[str, str], params=None) -> None:
    """INSERT `count` rows of `model` from generate_series (as `g`): `columns` gives SQL for
    some columns; every other column gets its field default, so fields other apps add later
    with defaults do not break the benchmark."""
    names, values, args = [], [], dict(params or {})
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in columns:
            continue
        names.append(field.column)
        if field.column in columns:
            values.append(columns[field.column])
        elif isinstance(field, models.DateTimeField) and (
            field.auto_now or field.auto_now_add or field.has_default()
        ):
            values.append("now()")
        else:
            key = f"d_{field.column}"
            args[key] = field.get_db_prep_save(field.get_default(), connection)
            values.append(f"%({key})s")
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "  # noqa: S608 (own identifiers)
        f"SELECT {', '.join(values)} FROM generate_series(1, %(count)s::bigint) g",
        {**args, "count": count},
    )
