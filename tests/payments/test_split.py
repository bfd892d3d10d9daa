"""The split arithmetic: exact cents, remainder to the earliest flattrs."""

from hypothesis import given
from hypothesis import strategies as st

from payments.split import split_budget


def test_the_worked_example_from_the_issue():
    split = split_budget(budget_cents=1000, spendable_cents=5000, n=7, fee_bps=1000)
    assert split.taken_cents == 1000
    assert split.fee_cents == 100
    assert split.shares == (129, 129, 129, 129, 128, 128, 128)


def test_a_wallet_smaller_than_the_budget_limits_what_is_taken():
    split = split_budget(budget_cents=2000, spendable_cents=350, n=2, fee_bps=1000)
    assert (split.taken_cents, split.fee_cents, split.shares) == (350, 35, (158, 157))


def test_no_flattrs_takes_nothing():
    assert split_budget(budget_cents=500, spendable_cents=500, n=0, fee_bps=1000).taken_cents == 0


@given(
    budget=st.integers(0, 10**7),
    spendable=st.integers(0, 10**7),
    n=st.integers(1, 500),
    fee_bps=st.integers(0, 10_000),
)
def test_shares_differ_by_at_most_a_cent_and_sum_to_what_is_left_after_the_fee(
    budget, spendable, n, fee_bps
):
    split = split_budget(budget_cents=budget, spendable_cents=spendable, n=n, fee_bps=fee_bps)
    assert split.taken_cents == min(budget, spendable)
    assert sum(split.shares) + split.fee_cents == split.taken_cents
    assert max(split.shares) - min(split.shares) <= 1
    assert list(split.shares) == sorted(split.shares, reverse=True)
