"""Reads of the books. `ledger_check` is the self-check any test or admin can run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from payments.models import (
    AutoTopUp,
    Budget,
    Deposit,
    LedgerAccount,
    Payday,
    Payout,
    PayoutAccount,
    Share,
    StripeEvent,
    Transfer,
)

Kind = LedgerAccount.Kind


def ledger_check() -> list[str]:
    """Return every violated invariant of the books, as sentences; an empty list means sound.

    - the sum of all cached balances is 0 (money is neither created nor destroyed);
    - each account's cached balance equals its credits minus its debits;
    - no wallet (funds, earnings) or held pool is negative, no receivable positive;
    - every transfer moves a positive amount between two different accounts.
    """
    problems: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(balance), 0) FROM payments_ledgeraccount")
        total = cursor.fetchone()[0]
        if total != 0:
            problems.append(f"The balances sum to {total} cents, not 0.")
        cursor.execute(
            """
            WITH legs AS (
                SELECT credit_id AS account_id, amount FROM payments_transfer
                UNION ALL
                SELECT debit_id, -amount FROM payments_transfer
            ), sums AS (
                SELECT account_id, SUM(amount) AS total FROM legs GROUP BY account_id
            )
            SELECT a.id, a.kind, a.balance, COALESCE(s.total, 0)
            FROM payments_ledgeraccount a LEFT JOIN sums s ON s.account_id = a.id
            WHERE a.balance <> COALESCE(s.total, 0)
            ORDER BY a.id LIMIT 50
            """
        )
        for account_id, kind, cached, actual in cursor.fetchall():
            problems.append(
                f"Account {account_id} ({kind}) caches {cached} cents but its transfers sum to "
                f"{actual}."
            )
        cursor.execute(
            """
            SELECT id, kind, balance FROM payments_ledgeraccount
            WHERE (kind IN ('funds', 'earnings', 'pool') AND balance < 0)
               OR (kind = 'receivable' AND balance > 0)
            ORDER BY id LIMIT 50
            """
        )
        for account_id, kind, balance in cursor.fetchall():
            problems.append(f"Account {account_id} ({kind}) has the forbidden balance {balance}.")
        cursor.execute(
            "SELECT COUNT(*) FROM payments_transfer WHERE amount <= 0 OR debit_id = credit_id"
        )
        bad = cursor.fetchone()[0]
        if bad:
            problems.append(f"{bad} transfers move a non-positive amount or to their own account.")
    return problems


def balances_for_user(user) -> dict[str, int]:
    """Return the user's balances in cents: funds, earnings, receivable (0 where no account)."""
    result = {Kind.FUNDS: 0, Kind.EARNINGS: 0, Kind.RECEIVABLE: 0}
    for kind, balance in LedgerAccount.objects.filter(user=user).values_list("kind", "balance"):
        result[kind] = balance
    return {str(k): v for k, v in result.items()}


def budget_get(user) -> Budget:
    """Return the user's budget, or an unsaved default one (0 cents) if they never set one."""
    try:
        return Budget.objects.get(user=user)
    except Budget.DoesNotExist:
        return Budget(user=user)


def spendable_cents(user) -> int:
    """Return what payday may take from the user: funds, plus earnings if they opted in."""
    balances = balances_for_user(user)
    spendable = balances["funds"]
    if budget_get(user).use_earnings:
        spendable += balances["earnings"]
    return spendable


def account_frozen(user) -> bool:
    """Return True while the user owes money (a refund or dispute their wallet could not cover)."""
    return balances_for_user(user)["receivable"] < 0


def means_check(user) -> str | None:
    """Return the error code that stops this user from flattring, or None if they may.

    A donor needs a budget of at least MIN_BUDGET_CENTS and some money payday can take; a budget
    above the wallet is allowed (payday takes what the wallet holds). A frozen account may not,
    nor a suspended one (accounts.moderation: its wallet is frozen too).
    """
    if user.suspended_at is not None:
        return "account_suspended"
    if account_frozen(user):
        return "account_frozen"
    if budget_get(user).monthly_cents < settings.MIN_BUDGET_CENTS or spendable_cents(user) <= 0:
        return "no_means"
    return None


# ---- Wallet page and statement ----


@dataclass(frozen=True)
class StatementLine:
    """One transfer as the user sees it: what happened and how each of their balances moved."""

    transfer_id: int
    created_at: dt.datetime
    kind: str
    description: str
    funds: int  # change in cents (+ in, − out), 0 when untouched
    earnings: int
    owed: int  # change of what the user owes (− = owes more), 0 when untouched
    memo: str

    @property
    def total(self) -> int:
        return self.funds + self.earnings + self.owed


def _describe(kind: str, incoming: bool) -> str:
    T = Transfer.Kind
    words = {
        T.DEPOSIT: _("Deposit by card"),
        T.REFUND: _("Refund of a deposit to your card"),
        T.DISPUTE: _("Card dispute (chargeback) on a deposit"),
        T.DISPUTE_WON: _("Card dispute decided in your favour"),
        T.RECEIVABLE_SETTLE: _("Paid what you owed"),
        T.FEE: _("Flattr fee"),
        T.CHARITY: _("Unused budget given to charity"),
        T.CLAIM: _("Money held for your Twitter/X account, claimed"),
        T.EXPIRY: _("Unclaimed flattr returned to you"),
        T.PAYOUT: _("Payout to your bank account"),
        T.PAYOUT_REVERSAL: _("Payout returned"),
        T.ADJUSTMENT: _("Correction by Flattr"),
        "earnings_spent": _("Earnings used to pay for your flattrs"),
    }
    if kind == T.SHARE:
        return str(_("Flattr share received") if incoming else _("Flattr share given"))
    if kind == T.INTERNAL:
        return str(_("Transfer from another user") if incoming else _("Transfer to another user"))
    if kind in words:
        return str(words[kind])
    return str(Transfer.Kind(kind).label) if kind in Transfer.Kind.values else kind


def statement_transfers(user) -> QuerySet[Transfer]:
    """Return every transfer touching the user's accounts, newest first."""
    ids = list(LedgerAccount.objects.filter(user=user).values_list("pk", flat=True))
    return (
        Transfer.objects.filter(Q(debit_id__in=ids) | Q(credit_id__in=ids))
        .select_related("debit", "credit")
        .order_by("-created_at", "-id")
    )


def statement_line(transfer: Transfer, user_id: int) -> StatementLine:
    """Describe one transfer from the point of view of the user `user_id`."""
    change = {Kind.FUNDS: 0, Kind.EARNINGS: 0, Kind.RECEIVABLE: 0}
    if transfer.debit.user_id == user_id:
        change[transfer.debit.kind] -= transfer.amount
    if transfer.credit.user_id == user_id:
        change[transfer.credit.kind] += transfer.amount
    incoming = transfer.credit.user_id == user_id and transfer.debit.user_id != user_id
    return StatementLine(
        transfer_id=transfer.pk,
        created_at=transfer.created_at,
        kind=transfer.kind,
        description=_describe(transfer.kind, incoming),
        funds=change[Kind.FUNDS],
        earnings=change[Kind.EARNINGS],
        owed=change[Kind.RECEIVABLE],
        memo=transfer.memo,
    )


def statement_lines(user, transfers) -> list[StatementLine]:
    return [statement_line(transfer, user.pk) for transfer in transfers]


def wallet_summary(user) -> dict:
    """Return what the wallet page shows: balances, budget, frozen state, what payday takes."""
    balances = balances_for_user(user)
    budget = budget_get(user)
    spendable = balances["funds"] + (balances["earnings"] if budget.use_earnings else 0)
    frozen = balances["receivable"] < 0
    suspended = user.suspended_at is not None  # payday leaves a suspended account out
    return {
        "funds": balances["funds"],
        "earnings": balances["earnings"],
        "owed": -balances["receivable"],
        "frozen": frozen,
        "suspended": suspended,
        "budget": budget,
        "spendable": spendable,
        "payday_takes": 0 if frozen or suspended else min(budget.monthly_cents, spendable),
        "fee_bps": settings.FEE_BPS,
    }


def fee_split(budget_cents: int) -> tuple[int, int]:
    """Return (to creators, fee) for a budget, by payday's rule: fee = b * FEE_BPS // 10000."""
    fee = budget_cents * settings.FEE_BPS // 10_000
    return budget_cents - fee, fee


# ---- Deposits ----


def deposit_for_user(user, reference) -> Deposit | None:
    """Return the user's deposit with this reference, or None (also for someone else's)."""
    return Deposit.objects.filter(user=user, reference=reference).first()


def deposits_recent(user, limit: int = 5) -> list[Deposit]:
    return list(Deposit.objects.filter(user=user).order_by("-created_at", "-id")[:limit])


def auto_topup_get(user) -> AutoTopUp | None:
    return AutoTopUp.objects.filter(user=user).first()


# ---- Admin ----


def money_summary() -> dict:
    """Return the admin home panel's figures in cents (the ledger self-check is kept apart, in
    payments.ledger_watch: it reads every transfer, too slow for each page view)."""
    by_kind = {
        kind: (total or 0, count)
        for kind, total, count in LedgerAccount.objects.values_list("kind")
        .annotate(total=Sum("balance"), count=Count("id"))
        .values_list("kind", "total", "count")
    }

    def total(kind: str) -> int:
        return by_kind.get(kind, (0, 0))[0]

    moved = dict(
        Transfer.objects.values_list("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    last_payday = Payday.objects.order_by("-month").first()
    return {
        "deposited": moved.get(Transfer.Kind.DEPOSIT, 0),
        "refunded": moved.get(Transfer.Kind.REFUND, 0),
        "disputed": moved.get(Transfer.Kind.DISPUTE, 0) - moved.get(Transfer.Kind.DISPUTE_WON, 0),
        # What Stripe brought in, net of refunds and disputes (settled payouts left through it).
        "money_in": -total(Kind.STRIPE) + moved.get(Transfer.Kind.PAYOUT_SETTLED, 0),
        "funds": total(Kind.FUNDS),
        "earnings": total(Kind.EARNINGS),
        "held": total(Kind.POOL),
        "pools": by_kind.get(Kind.POOL, (0, 0))[1],
        "fees": total(Kind.FEES),
        "charity": total(Kind.CHARITY),
        "paid_out": moved.get(Transfer.Kind.PAYOUT_SETTLED, 0),
        "payouts_in_transit": total(Kind.PAYOUTS),
        "owed": -total(Kind.RECEIVABLE),
        "frozen_users": LedgerAccount.objects.filter(kind=Kind.RECEIVABLE, balance__lt=0).count(),
        "events_rejected": StripeEvent.objects.filter(outcome=StripeEvent.Outcome.REJECTED).count(),
        "events_unmatched": StripeEvent.objects.filter(
            outcome=StripeEvent.Outcome.UNMATCHED
        ).count(),
        "last_payday": last_payday,
    }


# ---- Payouts ----


def payout_fee(amount_cents: int) -> int:
    """Return the fee kept from a payout of `amount_cents`: PAYOUT_FEE_FIXED_CENTS plus
    PAYOUT_FEE_BPS of the amount, rounded up to a whole cent (Stripe's cost is never ours)."""
    bps = int(settings.PAYOUT_FEE_BPS)
    return int(settings.PAYOUT_FEE_FIXED_CENTS) + (amount_cents * bps + 9_999) // 10_000


@dataclass(frozen=True)
class PayoutStanding:
    """What a recipient may take out now, and every reason it is less than their earnings."""

    earnings: int  # cents in the earnings account
    held: int  # cents younger than NEW_RECIPIENT_HOLD_DAYS, for a recipient never paid out yet
    held_until: dt.date | None  # the day everything held now becomes payable
    reserved: int  # cents of requests waiting for approval
    payable: int
    account: PayoutAccount | None
    guard_until: dt.datetime | None  # payout details changed: no payouts before this moment
    trusted: bool  # paid out before, details unchanged since: small requests approve themselves
    open_payout: Payout | None

    @property
    def status(self) -> str:
        return self.account.status if self.account else PayoutAccount.Status.NOT_STARTED


def payout_standing(user, *, now: dt.datetime | None = None) -> PayoutStanding:
    """Return the recipient's payable balance and what holds the rest back, as the page and
    payout_request see it (payout_request calls this under the earnings lock). One rule for
    one recipient or many: payments.payout_queue.payout_standings."""
    from payments.payout_queue import payout_standings

    return payout_standings([user.pk], now=now)[user.pk]


def payouts_for_user(user, limit: int = 20) -> list[Payout]:
    """Return the recipient's payouts, newest first."""
    return list(Payout.objects.filter(user=user).order_by("-requested_at", "-id")[:limit])


def payout_minimum() -> int:
    return int(settings.PAYOUT_MINIMUM_CENTS)


def payout_auto_approve_limit() -> int:
    return int(settings.PAYOUT_AUTO_APPROVE_CENTS)


def payout_hold_days() -> int:
    return int(settings.NEW_RECIPIENT_HOLD_DAYS)


def payday_income_by_user(*, payday_id: int, user_ids: list[int]) -> dict[int, int]:
    """Return {user id: cents} paid into these users' earnings by one payday (one query).

    For callers above payments (the API's payday webhooks) that must not read the ledger's
    tables themselves.
    """
    if not user_ids:
        return {}
    rows = (
        Share.objects.filter(
            payday_id=payday_id,
            state=Share.State.PAID,
            payee__kind=LedgerAccount.Kind.EARNINGS,
            payee__user_id__in=user_ids,
        )
        .values("payee__user_id")
        .annotate(total=Sum("amount"))
    )
    return {row["payee__user_id"]: int(row["total"] or 0) for row in rows}


def held_share_oldest_since(*, payee_id: int) -> dt.datetime | None:
    """When the oldest share still held in this pool was paid into it: its own payday transfer
    (a share of 0 cents, which has none, counts from its payday's start). Expiry counts from
    this date (payments/sql/held_shares_return.sql reads it the same way)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT min(COALESCE(paid.created_at, p.started_at))
            FROM payments_share s
            JOIN payments_payday p ON p.id = s.payday_id
            LEFT JOIN payments_transfer paid
              ON paid.key = 'payday:' || to_char(s.month, 'YYYY-MM') || ':share:' || s.flattr_id
            WHERE s.payee_id = %s AND s.state = 'held'
              AND p.stage IN ('posted', 'notified', 'done')
            """,
            [payee_id],
        )
        return cursor.fetchone()[0]
