"""A hypothesis state machine over the money core: deposits, refunds, disputes, replays, budget
changes and transfers between users, with the books checked after every step.

A simple model predicts each user's net position (funds + receivable): deposits add, refunds
and disputes subtract, won disputes add back, transfers move. The real books must agree, and
`ledger_check()` must stay empty, whatever hypothesis throws at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from payments.errors import PaymentError
from payments.models import Deposit, LedgerAccount, Transfer
from payments.selectors import balances_for_user, budget_get, ledger_check
from payments.services import budget_set, transfer_post, user_account
from payments.webhooks import stripe_event_process
from tests.factories import make_user
from tests.payments import stripe_events as se

Kind = LedgerAccount.Kind
USER_COUNT = 3
DISPUTE_STATUSES = ("warning_needs_response", "needs_response", "under_review", "won", "lost")
WITHDRAWING = ("needs_response", "under_review", "won", "lost")


@dataclass
class DepositModel:
    deposit: Deposit
    user_index: int
    credited: bool = False
    refunded: int = 0
    disputes: dict = field(default_factory=dict)  # id -> [amount, debited, reversed]


class MoneyMachine(RuleBasedStateMachine):
    users: list = []  # set by the test: created once, outside the examples

    deposits = Bundle("deposits")

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint that teardown rolls back: a fresh ledger every time.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.net = [0] * USER_COUNT  # predicted funds + receivable, per user
        self.delivered: list[dict] = []
        self.transfers = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _deliver(self, event: dict) -> str:
        outcome = stripe_event_process(event=event)
        self.delivered.append(event)
        return outcome

    def _credit_first(self, model: DepositModel) -> None:
        if not model.credited:
            model.credited = True
            self.net[model.user_index] += model.deposit.amount

    @initialize()
    def start_clean(self) -> None:
        assert ledger_check() == []

    @rule(target=deposits, user=st.integers(0, USER_COUNT - 1), amount=st.integers(200, 5000))
    def start_deposit(self, user, amount):
        return DepositModel(se.new_deposit(self.users[user], amount), user)

    @rule(model=deposits)
    def stripe_says_paid(self, model):
        assert self._deliver(se.intent_succeeded(model.deposit)) == "applied"
        self._credit_first(model)

    @rule(model=deposits)
    def stripe_says_failed(self, model):
        self._deliver(se.intent_failed(model.deposit, payment_id=model.deposit.payment_id))

    @rule(model=deposits, total=st.integers(1, 5000))
    def stripe_refunds(self, model, total):
        total = min(total, model.deposit.amount)
        event = se.charge_refunded(
            model.deposit, payment_id=model.deposit.payment_id, refunded=total
        )
        assert self._deliver(event) == "applied"
        self._credit_first(model)
        if total > model.refunded:
            self.net[model.user_index] -= total - model.refunded
            model.refunded = total

    @rule(
        model=deposits,
        which=st.integers(0, 1),
        amount=st.integers(1, 5000),
        status=st.sampled_from(DISPUTE_STATUSES),
    )
    def stripe_reports_a_dispute(self, model, which, amount, status):
        dispute_id = f"dp_{model.deposit.pk}_{which}"
        state = model.disputes.setdefault(
            dispute_id, [min(amount, model.deposit.amount), False, False]
        )
        event = se.dispute(
            "charge.dispute.updated",
            dispute_id=dispute_id,
            payment_id=model.deposit.payment_id,
            amount=state[0],
            status=status,
        )
        assert self._deliver(event) == "applied"
        self._credit_first(model)
        if status in WITHDRAWING and not state[1]:
            state[1] = True
            self.net[model.user_index] -= state[0]
        if status == "won" and state[1] and not state[2]:
            state[2] = True
            self.net[model.user_index] += state[0]

    @rule(index=st.integers(0, 10_000))
    def stripe_delivers_an_event_again(self, index):
        if not self.delivered:
            return
        event = self.delivered[index % len(self.delivered)]
        assert stripe_event_process(event=event) == "duplicate"

    @rule(
        user=st.integers(0, USER_COUNT - 1),
        cents=st.one_of(st.integers(-500, 150_000), st.sampled_from([0, 200, 500, 1000, 2000])),
        use_earnings=st.booleans(),
    )
    def donor_changes_budget(self, user, cents, use_earnings):
        donor = self.users[user]
        before = budget_get(donor).monthly_cents
        valid = cents == 0 or 200 <= cents <= 100_000
        try:
            budget_set(
                user=donor, monthly_cents=cents, use_earnings=use_earnings, unused_to_charity=False
            )
        except PaymentError as error:
            assert not valid and error.code == "invalid_budget"
            assert budget_get(donor).monthly_cents == before
        else:
            assert valid and budget_get(donor).monthly_cents == cents

    @rule(
        giver=st.integers(0, USER_COUNT - 1),
        taker=st.integers(0, USER_COUNT - 1),
        amount=st.integers(1, 3000),
    )
    def users_transfer_between_themselves(self, giver, taker, amount):
        if giver == taker:
            return
        self.transfers += 1
        funds = balances_for_user(self.users[giver])["funds"]
        try:
            transfer_post(
                key=f"internal:{self.transfers}",
                kind=Transfer.Kind.INTERNAL,
                debit=user_account(self.users[giver], Kind.FUNDS),
                credit=user_account(self.users[taker], Kind.FUNDS),
                amount_cents=amount,
            )
        except PaymentError as error:
            assert error.code == "no_means" and amount > funds
        else:
            assert amount <= funds
            self.net[giver] -= amount
            self.net[taker] += amount

    @invariant()
    def the_books_balance_and_match_the_model(self):
        assert ledger_check() == []
        balances = {(user.pk, kind): 0 for user in self.users for kind in Kind.values}
        rows = LedgerAccount.objects.filter(user__in=self.users).values_list(
            "user_id", "kind", "balance"
        )
        balances.update({(user_id, kind): balance for user_id, kind, balance in rows})
        for index, user in enumerate(self.users):
            funds, owed = balances[user.pk, Kind.FUNDS], balances[user.pk, Kind.RECEIVABLE]
            assert funds >= 0 and owed <= 0
            assert balances[user.pk, Kind.EARNINGS] == 0  # nothing here may touch earnings
            assert funds + owed == self.net[index]


@pytest.mark.django_db
def test_the_books_stay_sound_under_any_sequence_of_money_events():
    MoneyMachine.users = [make_user() for _ in range(USER_COUNT)]
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=200,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
