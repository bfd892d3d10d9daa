"""Reads of the books. `ledger_check` is the self-check any test or admin can run."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from payments.models import Budget, LedgerAccount

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
    above the wallet is allowed (payday takes what the wallet holds). A frozen account may not.
    """
    if account_frozen(user):
        return "account_frozen"
    if budget_get(user).monthly_cents < settings.MIN_BUDGET_CENTS or spendable_cents(user) <= 0:
        return "no_means"
    return None
