"""The payday pipeline: a helper thread splits (and then checks) chunks on its own connection
while the caller's connection posts them. It must give exactly the ledger of the sequential
payday, whatever the interleaving, and stop cleanly when either side fails.

These tests commit for real (transaction=True): a second connection cannot see a caller's open
transaction, so inside one payday never pipelines (it runs sequentially, which the expected
ledgers here are computed with, rolled back afterwards).
"""

import threading

import pytest
from django.db import transaction

from payments.models import Payday, PaydayDonor, Share, Transfer
from payments.payday import PaydayError, payday_check, payday_run
from payments.payday import pipeline as payday_module
from payments.selectors import ledger_check
from tests.payments.payday_data import MONTH, ledger_snapshot, make_donor, make_flattr, make_thing
from tests.payments.test_payday_crash import Crash, build_month

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _small_chunks(settings):
    settings.PAYDAY_CHUNK_DONORS = 1
    settings.PAYDAY_PIPELINE = True
    settings.NOTIFY_THRESHOLD_CENTS = 1000


def sequential_ledger() -> dict:
    """The ledger a sequential payday gives (run inside a transaction, then rolled back)."""
    with transaction.atomic():
        assert not payday_module._pipeline_possible()
        payday_run(month=MONTH)
        expected = ledger_snapshot()
        transaction.set_rollback(True)
    assert not Transfer.objects.filter(payday__isnull=False).exists()
    return expected


def split_waits_for(monkeypatch, event: threading.Event, *, after_lo: int) -> None:
    """Hold the helper before splitting any chunk from `after_lo` on until `event` is set."""
    real = payday_module._snapshot_chunk

    def waiting(payday, lo, hi):
        if lo >= after_lo:
            assert event.wait(timeout=30), "the posting side never signalled"
        return real(payday, lo, hi)

    monkeypatch.setattr(payday_module, "_snapshot_chunk", waiting)


def test_a_pipelined_payday_gives_the_ledger_of_a_sequential_one():
    build_month()
    expected = sequential_ledger()

    summary = payday_run(month=MONTH)

    assert summary.stage == "done"
    assert ledger_check() == []
    assert ledger_snapshot() == expected
    assert payday_check(payday=Payday.objects.get(month=MONTH)) == []


def test_a_donor_split_after_their_earnings_were_credited_spends_what_they_had_before(
    monkeypatch,
):
    """Donor `late` spends earnings and also earns from `early`, whose chunk comes first.
    Forced to split `late` only after `early` is posted, payday must still read `late`'s
    earnings as they stood before this payday, as the sequential payday does."""
    early = make_donor(budget=1000, funds=1000)
    late = make_donor(budget=1000, earnings=500, use_earnings=True)
    make_flattr(early, make_thing(owner=late))
    make_flattr(late, make_thing())
    expected = sequential_ledger()
    posted_first = threading.Event()
    split_waits_for(monkeypatch, posted_first, after_lo=late.pk)

    def progress(step):
        if step.stage == "posted" and step.done == 1:
            posted_first.set()

    payday_run(month=MONTH, progress=progress)

    credited = Transfer.objects.get(kind="share", debit__user=early)
    snapshot = PaydayDonor.objects.get(donor=late)
    assert credited.credit.user == late and credited.amount == 900
    assert (snapshot.earnings_cents, snapshot.taken_cents) == (500, 500)
    assert ledger_snapshot() == expected
    assert ledger_check() == []


@pytest.mark.parametrize("where", ["split", "check", "post"])
def test_a_failure_on_either_side_stops_both_and_a_rerun_gives_the_clean_ledger(monkeypatch, where):
    data = build_month()
    expected = sequential_ledger()
    third = sorted(d.pk for d in data["donors"])[2]
    failing = {
        "split": ("_snapshot_chunk", lambda payday, lo, hi: lo == third),
        "check": ("payday_check", lambda **check: check.get("lo") == third),
        "post": ("_post_chunk", lambda payday, lo, hi, **ids: lo == third),
    }
    name, when = failing[where]
    real = getattr(payday_module, name)

    def crashing(*args, **kwargs):
        if when(*args, **kwargs):
            raise Crash(where)
        return real(*args, **kwargs)

    monkeypatch.setattr(payday_module, name, crashing)
    with pytest.raises(Crash):
        payday_run(month=MONTH)
    monkeypatch.setattr(payday_module, name, real)

    stopped = Payday.objects.get(month=MONTH)
    assert stopped.stage == "started"
    assert ledger_check() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("payday-")]

    payday_run(month=MONTH)

    assert ledger_snapshot() == expected
    assert ledger_check() == []


def test_a_broken_invariant_found_by_the_helper_stops_payday_before_anyone_is_told(
    monkeypatch,
):
    donors = [make_donor(budget=1000, funds=1000) for _ in range(3)]
    for donor in donors:
        make_flattr(donor, make_thing())
        make_flattr(donor, make_thing())
    real = payday_module._snapshot_chunk

    def tampering(payday, lo, hi):
        real(payday, lo, hi)
        if lo == donors[1].pk:
            share = Share.objects.filter(donor=donors[1]).order_by("pk").first()
            Share.objects.filter(pk=share.pk).update(amount=share.amount - 1)

    monkeypatch.setattr(payday_module, "_snapshot_chunk", tampering)

    with pytest.raises(PaydayError) as error:
        payday_run(month=MONTH)

    assert error.value.code == "payday_check_failed"
    assert f"Donor {donors[1].pk}'s shares sum to 899" in error.value.message
    assert Payday.objects.get().stage == "shares"
    assert not Payday.objects.get().notices.exists()
    assert ledger_check() == []
