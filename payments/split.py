"""The monthly split as arithmetic: the single definition payday's SQL and every preview follow.

For a donor with n live flattrs: b = min(monthly budget, spendable wallet); fee = b * FEE_BPS //
10000; d = b - fee; each flattr gets d // n and the first d % n (by created_at, id) one cent more,
so the shares sum to d exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

BPS_DENOMINATOR = 10_000  # basis points in one whole


@dataclass(frozen=True)
class Split:
    taken_cents: int  # b: what leaves the donor's wallet
    fee_cents: int
    shares: tuple[int, ...]  # one per flattr, in (created_at, id) order; sums to b - fee


def split_budget(*, budget_cents: int, spendable_cents: int, n: int, fee_bps: int) -> Split:
    """Return the split of one donor's month over n flattrs (n == 0 takes nothing)."""
    if n <= 0:
        return Split(0, 0, ())
    taken = max(0, min(budget_cents, spendable_cents))
    fee = taken * fee_bps // BPS_DENOMINATOR
    distributable = taken - fee
    base, extra = divmod(distributable, n)
    return Split(taken, fee, tuple(base + 1 if i < extra else base for i in range(n)))
