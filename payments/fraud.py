"""Money's side of fraud: returning a fraud-marked recipient's earnings to the donors who paid
them, rate limits on deposits, and the failed-deposit patterns the fraud review page shows.

The return is set-based SQL (payments/sql/fraud_return*.sql) over the per-share rows payday
keeps, so each donor gets back exactly what they gave, share by share, in one statement.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import AccountMark
from accounts.moderation import admin_action_record, reason_clean
from payments.errors import PaymentError
from payments.models import Deposit, LedgerAccount
from payments.templatetags.money import format_cents

SQL_DIR = Path(__file__).resolve().parent / "sql"
RATE_WINDOW_SECONDS = 3600  # deposit limits count attempts per rolling hour bucket


@functools.cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def _rows(name: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_sql(name), params)
        return cursor.fetchall() if cursor.description else []


@dataclass(frozen=True)
class FraudReturn:
    donors: int
    shares: int
    total_cents: int


def fraud_return_due(recipient) -> FraudReturn:
    """Return what `fraud_earnings_return` would give back to the recipient's donors now."""
    earnings = LedgerAccount.objects.filter(user=recipient, kind=LedgerAccount.Kind.EARNINGS)
    earnings_id = earnings.values_list("pk", flat=True).first()
    if earnings_id is None:
        return FraudReturn(0, 0, 0)
    donors, shares, total = _rows("fraud_return_due", {"earnings_id": earnings_id})[0]
    return FraudReturn(donors, shares, total)


@transaction.atomic
def fraud_earnings_return(*, recipient, by, reason: str) -> FraudReturn:
    """Give each donor back exactly what they paid the fraud-marked `recipient`, from the
    recipient's earnings, and record the admin action; all of it or nothing.

    Refuse `not_fraud` unless the account's current mark is fraud (the return is the remedy for
    that finding, not a general refund), `earnings_short` when the earnings no longer cover it
    (paid out or spent: the admin then settles the rest by hand), `nothing_to_return`.
    """
    reason = reason_clean(reason)
    if recipient.mark != AccountMark.Kind.FRAUD:
        raise PaymentError("not_fraud", gettext("Mark the account as fraud first."))
    earnings = LedgerAccount.objects.filter(
        user=recipient, kind=LedgerAccount.Kind.EARNINGS
    ).first()
    if earnings is None:
        raise PaymentError("nothing_to_return", gettext("This account received nothing."))
    balances = dict(_rows("fraud_return_lock", {"earnings_id": earnings.pk}))
    due = fraud_return_due(recipient)
    if due.shares == 0:
        raise PaymentError("nothing_to_return", gettext("There is nothing left to return."))
    if due.total_cents > balances[earnings.pk]:
        raise PaymentError(
            "earnings_short",
            gettext(
                "The earnings hold %(balance)s but the donors paid %(due)s; nothing was returned."
            )
            % {
                "balance": format_cents(balances[earnings.pk]),
                "due": format_cents(due.total_cents),
            },
        )
    action = admin_action_record(
        actor=by,
        action="fraud_return",
        target=recipient,
        reason=reason,
        details={"donors": due.donors, "shares": due.shares, "cents": due.total_cents},
    )
    rows = _rows(
        "fraud_return",
        {
            "earnings_id": earnings.pk,
            "now": timezone.now(),
            "memo": f"returned: recipient marked as fraud (admin action {action.pk})",
        },
    )
    returned = FraudReturn(
        donors=len(rows), shares=sum(r[1] for r in rows), total_cents=sum(r[2] for r in rows)
    )
    if returned != due:  # the locks make this impossible; refuse rather than post a surprise
        raise PaymentError("fraud_return_changed", "The shares changed while returning them.")
    return returned


# ---- Deposit rate limits ----


def _attempt_count(key: str) -> int:
    """Count one attempt in this hour's bucket and return the bucket's count."""
    bucket = int(timezone.now().timestamp()) // RATE_WINDOW_SECONDS
    full = f"money-attempts:{key}:{bucket}"
    cache.add(full, 0, RATE_WINDOW_SECONDS * 2)
    try:
        return cache.incr(full)
    except ValueError:  # evicted between add and incr
        cache.set(full, 1, RATE_WINDOW_SECONDS * 2)
        return 1


def _attempts_limit(*, what: str, user, network: str, per_account: int, per_network: int) -> bool:
    """Count an attempt for the account and its network; return True past either limit."""
    over = _attempt_count(f"{what}:user:{user.pk}") > per_account
    if network:
        over |= _attempt_count(f"{what}:net:{network}") > per_network
    return over


def deposit_attempt_check(*, user, network: str) -> None:
    """Count a deposit attempt and refuse it past the per-account or per-network hourly limit
    (card testing tries many cards fast, often from many fresh accounts on one network), or for
    a suspended account (its wallet is frozen)."""
    if user.suspended_at is not None:
        raise PaymentError(
            "account_suspended", gettext("Your account is suspended, so it cannot take deposits.")
        )
    if _attempts_limit(
        what="deposit",
        user=user,
        network=network,
        per_account=settings.DEPOSIT_ATTEMPTS_PER_ACCOUNT_HOUR,
        per_network=settings.DEPOSIT_ATTEMPTS_PER_NETWORK_HOUR,
    ):
        raise PaymentError(
            "deposit_rate_limited",
            gettext("Too many payment attempts in the last hour. Please try again later."),
        )


def payout_attempt_check(*, user, network: str) -> None:
    """Count a payout request and refuse it past the per-account or per-network hourly limit
    (someone cashing out many taken-over accounts asks for many payouts in a short time)."""
    if _attempts_limit(
        what="payout",
        user=user,
        network=network,
        per_account=settings.PAYOUT_ATTEMPTS_PER_ACCOUNT_HOUR,
        per_network=settings.PAYOUT_ATTEMPTS_PER_NETWORK_HOUR,
    ):
        raise PaymentError(
            "payout_rate_limited",
            gettext("Too many payout requests in the last hour. Please try again later."),
        )


# ---- Fraud review: card testing ----


@dataclass(frozen=True)
class FailedDeposits:
    key: str  # a username or a network
    user_id: int | None
    failed: int
    accounts: int


def failed_deposits_by_account(*, since: dt.datetime, minimum: int) -> list[FailedDeposits]:
    """Return accounts with at least `minimum` failed deposits since `since`, most first."""
    rows = (
        Deposit.objects.filter(status=Deposit.Status.FAILED, created_at__gte=since)
        .values("user_id", "user__username")
        .annotate(failed=Count("id"))
        .filter(failed__gte=minimum)
        .order_by("-failed")[:50]
    )
    return [FailedDeposits(r["user__username"], r["user_id"], r["failed"], 1) for r in rows]


def failed_deposits_by_network(*, since: dt.datetime, minimum: int) -> list[FailedDeposits]:
    """Return sign-up networks whose accounts failed at least `minimum` deposits since `since`."""
    rows = (
        Deposit.objects.filter(status=Deposit.Status.FAILED, created_at__gte=since)
        .exclude(user__signup_network="")
        .values(network=F("user__signup_network"))
        .annotate(failed=Count("id"), accounts=Count("user_id", distinct=True))
        .filter(Q(failed__gte=minimum))
        .order_by("-failed")[:50]
    )
    return [FailedDeposits(r["network"], None, r["failed"], r["accounts"]) for r in rows]
