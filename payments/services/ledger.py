"""The ledger's primitives: the accounts, and the one way money moves between them.

Every change to a balance in the app is a `transfer_post` (or payday's set-based SQL, which
follows the same lock order); every service that needs balances to stay put while it decides
takes `accounts_lock` first. Nothing else locks ledger rows.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from payments.errors import PaymentError
from payments.models import (
    LedgerAccount,
    Transfer,
)

Kind = LedgerAccount.Kind


def system_account(kind: str) -> LedgerAccount:
    """Return the one system account of this kind (fees, charity, Stripe or payouts clearing)."""
    if kind not in LedgerAccount.SYSTEM_KINDS:
        raise ValueError(f"{kind} is not a system account kind")
    account, _ = LedgerAccount.objects.get_or_create(
        kind=kind, user=None, defaults={"label": LedgerAccount.Kind(kind).label}
    )
    return account


def user_account(user, kind: str) -> LedgerAccount:
    """Return the user's account of this kind (funds, earnings or receivable), creating it once."""
    if kind not in LedgerAccount.USER_KINDS:
        raise ValueError(f"{kind} is not a user account kind")
    account, _ = LedgerAccount.objects.get_or_create(user=user, kind=kind)
    return account


def pool_account_create(*, label: str) -> LedgerAccount:
    """Open a new held pool (one per platform account)."""
    return LedgerAccount.objects.create(kind=Kind.POOL, label=label[: LedgerAccount.LABEL_MAX])


@transaction.atomic
def transfer_post(
    *,
    key: str,
    kind: str,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount_cents: int,
    memo: str = "",
    month: dt.date | None = None,
) -> tuple[Transfer, bool]:
    """Move `amount_cents` from `debit` to `credit` exactly once per `key`.

    Both accounts are locked in id order (so two transfers between the same accounts can never
    deadlock), the key is checked under those locks (so a concurrent retry waits, then sees the
    first transfer and becomes a no-op), and the transfer is inserted: the database moves both
    cached balances with it, in the same statement (migration 0010's trigger; no other way
    exists). Return (transfer, created). A balance constraint violation (a wallet or pool going
    negative) raises PaymentError("no_means") and writes nothing.
    """
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise PaymentError(
            "invalid_amount",
            f"Amount must be a positive whole number of cents, not {amount_cents!r}.",
        )
    if debit.pk == credit.pk:
        raise PaymentError("same_account", "A transfer needs two different accounts.")
    accounts_lock(debit, credit)
    existing = Transfer.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                key=key,
                kind=kind,
                debit=debit,
                credit=credit,
                amount=amount_cents,
                memo=memo[: Transfer.MEMO_MAX],
                month=month,
            )
    except IntegrityError as error:
        if "ledger_wallets_and_pools_not_negative" in str(error) or "ledger_receivable" in str(
            error
        ):
            raise PaymentError("no_means", "Not enough money in the account for this.") from error
        raise
    return transfer, True


def accounts_lock(*accounts: LedgerAccount) -> dict[int, int]:
    """Lock the accounts in id order (the same order transfer_post uses, so no deadlock) and
    return their current balances by id. Later transfer_post calls on them take no new locks."""
    rows = (
        LedgerAccount.objects.select_for_update()
        .filter(pk__in={account.pk for account in accounts})
        .order_by("pk")
        .values_list("pk", "balance")
    )
    return dict(rows)
