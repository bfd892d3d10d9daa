"""Payday: the monthly split in exact cents, posted to the ledger once."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from payments.models import LedgerAccount, Payday, PaydayDonor, PaydayNotice, Share, Transfer
from payments.payday import PaydayError, payday_run
from payments.selectors import ledger_check
from payments.services import system_account
from tests.payments.payday_data import (
    MONTH,
    balance,
    ledger_snapshot,
    make_donor,
    make_flattr,
    make_thing,
    shares_of,
)

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


def at(day: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(MONTH.year, MONTH.month, day, 12, minute))


def test_the_worked_example_gives_exact_cents_in_click_order():
    donor = make_donor(budget=1000, funds=5000)
    things = [make_thing() for _ in range(7)]
    # Clicked in reverse order of creation: the earliest clicks get the extra cents.
    for i, thing in enumerate(reversed(things)):
        make_flattr(donor, thing, at=at(2 + i))

    summary = payday_run(month=MONTH)

    assert shares_of(donor) == [129, 129, 129, 129, 128, 128, 128]
    assert [balance(thing.owner) for thing in reversed(things)] == [129] * 4 + [128] * 3
    assert balance(donor, Kind.FUNDS) == 4000
    assert system_account(Kind.FEES).balance == 100
    assert (summary.stage, summary.donors, summary.shares, summary.recipients) == ("done", 1, 7, 7)
    assert (summary.total_cents, summary.fees_cents, summary.charity_cents) == (900, 100, 0)
    assert ledger_check() == []


def test_equal_click_times_are_ordered_by_flattr_id():
    donor = make_donor(budget=1000, funds=1000)
    first = make_flattr(donor, make_thing(), at=at(3))
    second = make_flattr(donor, make_thing(), at=at(3))
    third = make_flattr(donor, make_thing(), at=at(3))
    payday_run(month=MONTH)
    amounts = {s.flattr_id: s.amount for s in Share.objects.all()}
    # d = 900 over 3: no remainder; make it uneven with a second donor below
    assert amounts == {first.pk: 300, second.pk: 300, third.pk: 300}

    other = make_donor(budget=1001, funds=1001)
    later_month = dt.date(2025, 4, 1)
    ids = [make_flattr(other, make_thing(), month=later_month, at=at(3)).pk for _ in range(4)]
    payday_run(month=later_month)
    # b = 1001, fee = 100, d = 901 = 4 * 225 + 1: the lowest id gets the extra cent
    assert [Share.objects.get(flattr_id=i).amount for i in sorted(ids)] == [226, 225, 225, 225]


def test_a_wallet_below_the_budget_limits_what_is_taken():
    donor = make_donor(budget=2000, funds=350)
    a, b = make_thing(), make_thing()
    make_flattr(donor, a, at=at(2))
    make_flattr(donor, b, at=at(3))
    payday_run(month=MONTH)
    assert shares_of(donor) == [158, 157]
    assert balance(donor, Kind.FUNDS) == 0
    assert system_account(Kind.FEES).balance == 35


def test_funds_are_spent_first_then_earnings_when_opted_in():
    donor = make_donor(budget=1000, funds=300, earnings=2000, use_earnings=True)
    thing = make_thing()
    make_flattr(donor, thing)

    payday_run(month=MONTH)

    assert balance(donor, Kind.FUNDS) == 0
    assert balance(donor, Kind.EARNINGS) == 1300
    assert balance(thing.owner) == 900
    row = PaydayDonor.objects.get(donor=donor)
    assert (row.taken_cents, row.from_funds_cents, row.from_earnings_cents) == (1000, 300, 700)
    hop = Transfer.objects.get(key=f"payday:2025-03:earnings:{donor.pk}")
    assert (hop.kind, hop.amount) == ("earnings_spent", 700)
    assert hop.debit.kind == "earnings" and hop.credit.kind == "funds"


def test_earnings_are_not_spent_without_the_opt_in():
    donor = make_donor(budget=1000, funds=300, earnings=2000, use_earnings=False)
    make_flattr(donor, make_thing())
    payday_run(month=MONTH)
    assert balance(donor, Kind.FUNDS) == 0
    assert balance(donor, Kind.EARNINGS) == 2000
    assert shares_of(donor) == [270]


def test_a_donor_with_only_earnings_gets_a_funds_account_to_pay_from():
    donor = make_donor(budget=500, earnings=800, use_earnings=True)
    thing = make_thing()
    make_flattr(donor, thing)
    payday_run(month=MONTH)
    assert balance(donor, Kind.EARNINGS) == 300
    assert balance(donor, Kind.FUNDS) == 0
    assert balance(thing.owner) == 450


def test_flattrs_on_closed_or_banned_things_do_not_count():
    donor = make_donor(budget=1000, funds=1000)
    visible = make_thing()
    closed = make_thing(closed=True)
    banned = make_thing(banned=True)
    for thing in (visible, closed, banned):
        make_flattr(donor, thing)

    payday_run(month=MONTH)

    assert shares_of(donor) == [900]
    assert Share.objects.get().thing == visible
    assert balance(closed.owner) == 0 and balance(banned.owner) == 0


def test_flattrs_on_hidden_things_count_as_on_flattr_where_hidden_only_meant_unlisted():
    donor = make_donor(budget=1000, funds=1000)
    unlisted = make_thing(hidden=True)
    make_flattr(donor, unlisted)

    payday_run(month=MONTH)

    assert shares_of(donor) == [900]
    assert balance(unlisted.owner) == 900


def test_a_donor_whose_flattrs_are_all_on_closed_things_keeps_the_budget():
    donor = make_donor(budget=1000, funds=1000)
    make_flattr(donor, make_thing(closed=True))
    payday_run(month=MONTH)
    assert balance(donor, Kind.FUNDS) == 1000
    assert not PaydayDonor.objects.exists()


def test_shares_for_an_unclaimed_account_are_held_in_its_pool():
    donor = make_donor(budget=1000, funds=1000)
    pool_thing = make_thing(pool_label="@someone on X")
    user_thing = make_thing()
    make_flattr(donor, pool_thing, at=at(2))
    make_flattr(donor, user_thing, at=at(3))

    payday_run(month=MONTH)

    held = Share.objects.get(thing=pool_thing)
    paid = Share.objects.get(thing=user_thing)
    assert (held.state, held.amount, held.payee_id) == ("held", 450, pool_thing.payee_id)
    assert (paid.state, paid.amount) == ("paid", 450)
    pool_thing.payee.refresh_from_db()
    assert pool_thing.payee.balance == 450


def test_donors_without_flattrs_keep_their_budget_or_give_it_to_charity():
    keeper = make_donor(budget=500, funds=2000)
    giver = make_donor(budget=500, funds=2000, unused_to_charity=True)
    poor_giver = make_donor(budget=500, funds=120, unused_to_charity=True)
    make_flattr(make_donor(budget=500, funds=500), make_thing())

    summary = payday_run(month=MONTH)

    assert balance(keeper, Kind.FUNDS) == 2000
    assert balance(giver, Kind.FUNDS) == 1500
    assert balance(poor_giver, Kind.FUNDS) == 0
    assert system_account(Kind.CHARITY).balance == 620
    assert summary.charity_cents == 620
    assert summary.donors == 1
    assert Transfer.objects.get(key=f"payday:2025-03:charity:{giver.pk}").amount == 500


def test_charity_givers_who_flattred_pay_their_flattrs_instead():
    donor = make_donor(budget=500, funds=2000, unused_to_charity=True)
    make_flattr(donor, make_thing())
    payday_run(month=MONTH)
    assert system_account(Kind.CHARITY).balance == 0
    assert balance(donor, Kind.FUNDS) == 1500


def test_tiny_budgets_record_zero_cent_shares_without_transfers():
    donor = make_donor(budget=5, funds=5)
    things = [make_thing() for _ in range(8)]
    for i, thing in enumerate(things):
        make_flattr(donor, thing, at=at(2 + i))

    payday_run(month=MONTH)

    # b = 5, fee = 0 (5 * 1000 // 10000), d = 5 over 8 flattrs
    assert shares_of(donor) == [1, 1, 1, 1, 1, 0, 0, 0]
    assert Transfer.objects.filter(kind="share").count() == 5
    assert not Transfer.objects.filter(kind="fee").exists()
    assert balance(donor, Kind.FUNDS) == 0


def test_a_donor_without_money_or_budget_gives_nothing_but_shares_are_recorded():
    broke = make_donor(budget=1000, funds=0)
    no_budget = make_donor(budget=None, funds=900)
    thing = make_thing()
    make_flattr(broke, thing)
    make_flattr(no_budget, thing)
    payday_run(month=MONTH)
    assert shares_of(broke) == [0] and shares_of(no_budget) == [0]
    assert balance(no_budget, Kind.FUNDS) == 900
    assert Transfer.objects.filter(payday__isnull=False).count() == 0


def test_a_frozen_account_gives_nothing():
    donor = make_donor(budget=1000, funds=1000)
    receivable = LedgerAccount.objects.create(user=donor, kind=Kind.RECEIVABLE)
    Transfer.objects.create(
        key="test:dispute",
        kind="dispute",
        debit=receivable,
        credit=system_account(Kind.STRIPE),
        amount=50,
    )
    # The transfer moved both balances (the database's balance trigger): receivable -50.
    make_flattr(donor, make_thing())
    payday_run(month=MONTH)
    assert shares_of(donor) == [0]
    assert balance(donor, Kind.FUNDS) == 1000


def test_a_flattr_paying_the_donors_own_earnings_does_not_count():
    donor = make_donor(budget=1000, funds=1000)
    own = make_thing(owner=donor)
    other = make_thing()
    make_flattr(donor, own)
    make_flattr(donor, other)
    payday_run(month=MONTH)
    assert shares_of(donor) == [900]
    assert balance(donor, Kind.EARNINGS) == 0


def test_flattrs_of_other_months_are_left_alone():
    donor = make_donor(budget=1000, funds=3000)
    make_flattr(donor, make_thing())
    make_flattr(donor, make_thing(), month=dt.date(2025, 4, 1))
    payday_run(month=MONTH)
    assert Share.objects.count() == 1
    assert balance(donor, Kind.FUNDS) == 2000


def test_a_recipient_who_also_donates_is_paid_and_pays_in_one_payday():
    alice = make_donor(budget=1000, funds=0, earnings=0, use_earnings=True)
    bob = make_donor(budget=1000, funds=1000)
    alice_thing = make_thing(owner=alice)
    make_flattr(bob, alice_thing)
    make_flattr(alice, make_thing())
    payday_run(month=MONTH)
    # Alice's wallet was empty when payday read it: her own flattr is worth 0 this month.
    assert shares_of(alice) == [0]
    assert balance(alice) == 900


def test_running_payday_again_changes_nothing():
    donor = make_donor(budget=1000, funds=5000)
    for _ in range(3):
        make_flattr(donor, make_thing())
    payday_run(month=MONTH)
    before = ledger_snapshot()

    summary = payday_run(month=MONTH)

    assert ledger_snapshot() == before
    assert summary.stage == "done"


def test_transfers_carry_deterministic_keys_the_month_and_the_payday():
    donor = make_donor(budget=1000, funds=1000)
    flattr = make_flattr(donor, make_thing())
    payday_run(month=MONTH)
    payday = Payday.objects.get(month=MONTH)
    keys = set(Transfer.objects.filter(payday=payday).values_list("key", "kind", "amount"))
    assert keys == {
        (f"payday:2025-03:share:{flattr.pk}", "share", 900),
        (f"payday:2025-03:fee:{donor.pk}", "fee", 100),
    }
    assert set(Transfer.objects.filter(payday=payday).values_list("month", flat=True)) == {MONTH}


@pytest.mark.parametrize("months_ahead", [0, 1, 13])
def test_the_current_and_future_months_are_refused(months_ahead):
    today = timezone.now().date()
    month = today.replace(day=1)
    for _ in range(months_ahead):
        month = (month + dt.timedelta(days=32)).replace(day=1)
    donor = make_donor(budget=1000, funds=1000)
    make_flattr(donor, make_thing(), month=today.replace(day=1))

    with pytest.raises(PaydayError) as error:
        payday_run(month=month)

    assert error.value.code == "payday_month_open"
    assert not Payday.objects.exists() and not Share.objects.exists()
    with pytest.raises(PaydayError):
        payday_run(month=month, dry_run=True)


def test_any_day_of_a_month_means_that_month():
    donor = make_donor(budget=1000, funds=1000)
    make_flattr(donor, make_thing())
    payday_run(month=MONTH.replace(day=17))
    assert Payday.objects.get().month == MONTH


def test_a_dry_run_writes_nothing_and_predicts_the_real_run():
    donors = [make_donor(budget=700 + i, funds=1000) for i in range(3)]
    make_donor(budget=300, funds=1000, unused_to_charity=True)
    things = [make_thing() for _ in range(4)]
    for i, donor in enumerate(donors):
        for thing in things[: i + 2]:
            make_flattr(donor, thing)
    before = ledger_snapshot()
    accounts_before = LedgerAccount.objects.count()

    preview = payday_run(month=MONTH, dry_run=True)

    assert ledger_snapshot() == before
    assert LedgerAccount.objects.count() == accounts_before
    real = payday_run(month=MONTH)
    fields = ("donors", "shares", "recipients", "total_cents", "fees_cents", "charity_cents")
    assert [getattr(preview, f) for f in fields] == [getattr(real, f) for f in fields]
    assert preview.dry_run and preview.stage == "preview"


def test_a_wallet_that_shrank_after_the_snapshot_is_re_split_before_posting():
    donor = make_donor(budget=1000, funds=1000)
    a, b = make_thing(), make_thing()
    make_flattr(donor, a, at=at(2))
    make_flattr(donor, b, at=at(3))
    steady = make_donor(budget=1000, funds=1000)
    make_flattr(steady, a)

    def refund_after_the_snapshot(step):
        if step.stage == "shares" and step.done == step.total:
            # A refund of 600 lands between the snapshot and posting.
            funds = LedgerAccount.objects.get(user=donor, kind=Kind.FUNDS)
            Transfer.objects.create(
                key="test:refund",
                kind="refund",
                debit=funds,
                credit=system_account(Kind.STRIPE),
                amount=600,
            )
            # The insert moved both balances (the database's balance trigger).

    payday_run(month=MONTH, progress=refund_after_the_snapshot)

    # b = 400, fee 40, d = 360 over 2
    assert shares_of(donor) == [180, 180]
    assert balance(donor, Kind.FUNDS) == 0
    assert PaydayDonor.objects.get(donor=donor).taken_cents == 400
    assert shares_of(steady) == [900]
    assert ledger_check() == []


def test_a_month_without_flattrs_or_charity_finishes_with_zeros():
    make_donor(budget=1000, funds=1000)
    summary = payday_run(month=MONTH)
    assert (summary.stage, summary.donors, summary.shares, summary.total_cents) == (
        "done",
        0,
        0,
        0,
    )
    assert not Transfer.objects.filter(payday__isnull=False).exists()


def test_a_broken_invariant_stops_payday_before_anyone_is_told():
    donor = make_donor(budget=1000, funds=1000)
    make_flattr(donor, make_thing())
    make_flattr(donor, make_thing())

    def tamper(step):
        if step.stage == "shares" and step.done == step.total:
            share = Share.objects.order_by("pk").first()
            Share.objects.filter(pk=share.pk).update(amount=share.amount - 1)

    with pytest.raises(PaydayError) as error:
        payday_run(month=MONTH, progress=tamper)

    assert error.value.code == "payday_check_failed"
    assert "shares sum to 899" in error.value.message
    assert Payday.objects.get().stage == "shares"
    assert not PaydayNotice.objects.exists()


def test_a_stray_share_transfer_no_donor_made_stops_payday_before_anyone_is_told():
    """Per-donor checks see only donors' wallets; the totals see every share transfer."""
    donor = make_donor(budget=1000, funds=1000)
    make_flattr(donor, make_thing())
    stray_payee = make_thing().payee

    def stray(step):
        if step.stage == "posted" and step.done == step.total:
            payday = Payday.objects.get()
            stripe = system_account(Kind.STRIPE)
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO payments_transfer (debit_id, credit_id, amount, kind, key, "
                    "created_at, payday_id, memo) VALUES (%s, %s, 7, 'share', 'stray', now(), "
                    "%s, '')",
                    [stripe.pk, stray_payee.pk, payday.pk],
                )  # and the database moved both balances with it

    with pytest.raises(PaydayError) as error:
        payday_run(month=MONTH, progress=stray)

    assert error.value.code == "payday_check_failed"
    assert "share transfers move 907, not the 900" in error.value.message
    assert Payday.objects.get().stage == "shares"
    assert not PaydayNotice.objects.exists()


def test_the_database_refuses_a_payday_that_would_overdraw_a_wallet():
    donor = make_donor(budget=1000, funds=1000)
    make_flattr(donor, make_thing())

    def overdraw(step):
        if step.stage == "shares" and step.done == step.total:
            Share.objects.update(amount=901)

    with pytest.raises(IntegrityError, match="ledger_wallets_and_pools_not_negative"):
        payday_run(month=MONTH, progress=overdraw)
    assert balance(donor, Kind.FUNDS) == 1000
    assert not Transfer.objects.filter(payday__isnull=False).exists()


@pytest.mark.parametrize(("least", "most", "chunks"), [(1, 3, 3), (2, 10, 4), (10, 3, 1)])
def test_chunks_hold_at_least_the_minimum_and_are_never_more_than_the_maximum(
    settings, least, most, chunks
):
    """Bigger paydays get bigger chunks rather than more of them: each chunk updates most
    payees' balances once, so their number must not grow with the payday."""
    settings.PAYDAY_CHUNK_DONORS = least
    settings.PAYDAY_CHUNKS_MAX = most
    thing = make_thing()
    donors = [make_donor(budget=1000, funds=1000) for _ in range(7)]
    for donor in donors:
        make_flattr(donor, thing)
    steps = []

    payday_run(month=MONTH, progress=steps.append)

    assert {(step.stage, step.total) for step in steps if step.stage in ("shares", "posted")} == {
        ("shares", chunks),
        ("posted", chunks),
    }
    assert Transfer.objects.filter(kind="share").count() == 7
