"""Payday killed anywhere and run again ends with exactly the ledger of an uninterrupted run;
two paydays at once post once."""

import datetime as dt
import threading

import psycopg
import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from payments.models import LedgerAccount, Payday, Share, Transfer
from payments.payday import PaydayError, payday_check, payday_run
from payments.payday import sql as payday_module
from payments.selectors import ledger_check
from payments.services import system_account
from payments.split import split_budget
from tests.payments.payday_data import (
    MONTH,
    ledger_snapshot,
    make_donor,
    make_flattr,
    make_thing,
    shares_of,
)

Kind = LedgerAccount.Kind


class Crash(Exception):
    """Stands in for a kill: raised between two of payday's steps."""


def build_month() -> dict:
    """A month with every kind of donor, spread over several chunks (chunk size 2)."""
    for kind in (Kind.FEES, Kind.CHARITY, Kind.STRIPE):
        system_account(kind)
    publisher = make_donor(budget=None, earnings=950)  # crosses the notice threshold
    things = [make_thing(owner=publisher), make_thing(), make_thing(pool_label="@held")]
    things.append(make_thing())
    donors = [
        make_donor(budget=1000, funds=5000),
        make_donor(budget=700, funds=300, earnings=900, use_earnings=True),
        make_donor(budget=500, earnings=800, use_earnings=True),  # no funds account yet
        make_donor(budget=5, funds=5),
        make_donor(budget=1000, funds=0),
        make_donor(budget=2000, funds=1234),
    ]
    make_donor(budget=400, funds=1000, unused_to_charity=True)
    make_donor(budget=400, funds=1000)
    for d, donor in enumerate(donors):
        for t, thing in enumerate(things[: 2 + d % 3]):
            at = timezone.make_aware(dt.datetime(2025, 3, 2 + t, 10, d))
            make_flattr(donor, thing, at=at)
    return {"donors": donors, "things": things, "publisher": publisher}


@pytest.fixture
def month(settings):
    settings.PAYDAY_CHUNK_DONORS = 2
    settings.NOTIFY_THRESHOLD_CENTS = 1000
    data = build_month()
    yield data
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock_all()")


def clean_run() -> dict:
    """Run payday uninterrupted inside a savepoint, return the snapshot, and undo it all."""
    savepoint = transaction.savepoint_create()
    payday_run(month=MONTH)
    snapshot = ledger_snapshot()
    transaction.savepoint_rollback(savepoint)
    return snapshot


def count_statements(monkeypatch) -> int:
    calls = []
    real = payday_module.execute

    def counting(sql, params):
        calls.append(sql)
        return real(sql, params)

    monkeypatch.setattr(payday_module, "execute", counting)
    savepoint = transaction.savepoint_create()
    payday_run(month=MONTH)
    transaction.savepoint_rollback(savepoint)
    monkeypatch.setattr(payday_module, "execute", real)
    return len(calls)


@pytest.mark.django_db
@pytest.mark.parametrize("when", ["before", "after"])
def test_killed_before_or_after_any_statement_a_rerun_gives_the_clean_ledger(
    month, monkeypatch, when
):
    expected = clean_run()
    assert expected["transfers"] and expected["notices"]
    statements = count_statements(monkeypatch)
    assert statements > 20  # several chunks in each stage
    real = payday_module.execute

    for k in range(statements):
        calls = []

        def crashing(sql, params, k=k, calls=calls):
            calls.append(sql)
            if len(calls) - 1 == k and when == "before":
                raise Crash(k)
            rows = real(sql, params)
            if len(calls) - 1 == k:
                raise Crash(k)
            return rows

        savepoint = transaction.savepoint_create()
        monkeypatch.setattr(payday_module, "execute", crashing)
        with pytest.raises(Crash):
            payday_run(month=MONTH)
        monkeypatch.setattr(payday_module, "execute", real)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")  # a dead session drops its locks

        payday_run(month=MONTH)

        assert ledger_snapshot() == expected, f"crash {when} statement {k}: {calls[-1][:80]}"
        assert ledger_check() == []
        transaction.savepoint_rollback(savepoint)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stage", "at"),
    [("shares", 1), ("shares", "last"), ("posted", 1), ("posted", "last"), ("notified", 1)],
)
def test_killed_at_a_stage_boundary_a_rerun_gives_the_clean_ledger(month, stage, at):
    expected = clean_run()

    def crash(step):
        if step.stage == stage and step.done == (step.total if at == "last" else at):
            raise Crash(step)

    with pytest.raises(Crash):
        payday_run(month=MONTH, progress=crash)
    recorded = Payday.objects.get(month=MONTH).stage

    payday_run(month=MONTH)

    assert recorded != "done"
    assert ledger_snapshot() == expected


@pytest.mark.django_db
def test_a_crash_mid_posting_leaves_whole_donors_posted_and_the_books_balanced(month):
    def crash(step):
        if step.stage == "posted" and step.done == 2:
            raise Crash(step)

    with pytest.raises(Crash):
        payday_run(month=MONTH, progress=crash)

    payday = Payday.objects.get(month=MONTH)
    assert payday.stage == "shares"
    assert ledger_check() == []
    posted_donors = set(
        Transfer.objects.filter(payday=payday, kind="share").values_list("debit__user", flat=True)
    )
    assert 0 < len(posted_donors) < len(month["donors"])
    for donor in month["donors"]:
        transfers = Transfer.objects.filter(payday=payday, debit__user=donor, kind="share")
        owed = Share.objects.filter(donor=donor, amount__gt=0).count()
        assert transfers.count() in (0, owed)


def _split_expected(data) -> None:
    """Each donor's shares match split_budget over what their wallet held before payday."""
    for donor in data["donors"]:
        row = donor.payday_rows.get()
        split = split_budget(
            budget_cents=row.budget_cents,
            spendable_cents=row.funds_cents + row.earnings_cents,
            n=row.flattrs,
            fee_bps=1000,
        )
        assert tuple(shares_of(donor)) == split.shares
        assert row.taken_cents == split.taken_cents


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("pipeline", "stage"), [(False, "shares"), (True, "started")])
def test_a_payday_whose_database_session_is_killed_mid_posting_finishes_on_rerun(
    settings, pipeline, stage
):
    """Killed while posting: sequentially, after every chunk was split (stage shares); in the
    pipeline, while later chunks are still being split on the helper's connection."""
    settings.PAYDAY_CHUNK_DONORS = 2
    settings.PAYDAY_PIPELINE = pipeline
    data = build_month()
    killed = []

    def kill_own_session(step):
        if step.stage == "posted" and step.done == 2 and not killed:
            pid = connection.connection.info.backend_pid
            params = connection.get_connection_params()
            with psycopg.connect(**params, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)

    with pytest.raises(OperationalError):
        payday_run(month=MONTH, progress=kill_own_session)
    connection.close()
    assert killed
    assert Payday.objects.get(month=MONTH).stage == stage
    assert ledger_check() == []

    summary = payday_run(month=MONTH)

    assert summary.stage == "done"
    assert ledger_check() == []
    assert payday_check(payday=Payday.objects.get(month=MONTH)) == []
    _split_expected(data)
    before = ledger_snapshot()
    payday_run(month=MONTH)
    assert ledger_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_a_second_payday_while_one_runs_is_refused_and_money_moves_once(settings):
    settings.PAYDAY_CHUNK_DONORS = 2
    data = build_month()
    second_result = {}
    first_is_running = threading.Event()
    second_done = threading.Event()

    def second_payday():
        first_is_running.wait(timeout=30)
        try:
            payday_run(month=MONTH)
            second_result["outcome"] = "ran"
        except PaydayError as error:
            second_result["outcome"] = error.code
        finally:
            connections.close_all()
            second_done.set()

    def pause_for_the_second(step):
        if step.stage == "posted" and step.done == 1 and not first_is_running.is_set():
            first_is_running.set()
            assert second_done.wait(timeout=30)

    thread = threading.Thread(target=second_payday)
    thread.start()
    summary = payday_run(month=MONTH, progress=pause_for_the_second)
    thread.join(timeout=30)

    assert second_result == {"outcome": "payday_running"}
    assert summary.stage == "done"
    _split_expected(data)
    assert (
        Transfer.objects.filter(kind="share").count() == Share.objects.filter(amount__gt=0).count()
    )
    assert ledger_check() == []


@pytest.mark.django_db(transaction=True)
def test_two_paydays_started_together_post_once(settings):
    settings.PAYDAY_CHUNK_DONORS = 2
    data = build_month()
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        barrier.wait(timeout=30)
        try:
            outcomes.append(payday_run(month=MONTH).stage)
        except PaydayError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert "done" in outcomes and set(outcomes) <= {"done", "payday_running"}
    payday_run(month=MONTH)
    _split_expected(data)
    share_transfers = Transfer.objects.filter(kind="share")
    assert share_transfers.count() == Share.objects.filter(amount__gt=0).count()
    assert share_transfers.values("key").distinct().count() == share_transfers.count()
    assert ledger_check() == []
