"""The books: ledger accounts and the transfers between them.

Money is integer cents (BigIntegerField), one currency per installation, never floats.
Sign convention: an account's balance = credits - debits. Wallets (funds, earnings) and held pools
are never negative; the outside world (Stripe clearing, payouts clearing) goes negative as money
comes in, so the sum of all balances is always 0.
"""

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from payments.templatetags.money import format_cents


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        FUNDS = "funds", _("funds")  # a user's deposits: spent on flattrs, never paid out
        EARNINGS = "earnings", _("earnings")  # a user's received shares: paid out or spent
        POOL = "pool", _("held pool")  # shares held for an unclaimed platform account
        RECEIVABLE = "receivable", _("receivable")  # what a user owes after a refund/dispute
        FEES = "fees", _("fees")
        CHARITY = "charity", _("charity")
        STRIPE = "stripe", _("Stripe clearing")
        PAYOUTS = "payouts", _("payouts clearing")

    USER_KINDS = (Kind.FUNDS, Kind.EARNINGS, Kind.RECEIVABLE)
    SYSTEM_KINDS = (Kind.FEES, Kind.CHARITY, Kind.STRIPE, Kind.PAYOUTS)
    NON_NEGATIVE_KINDS = (Kind.FUNDS, Kind.EARNINGS, Kind.POOL)

    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    LABEL_MAX = 200
    label = models.CharField(max_length=LABEL_MAX, blank=True)
    # Cached sum of credits - debits, updated in the same transaction as each transfer.
    balance = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=Q(user__isnull=False),
                name="ledger_one_account_per_user_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind__in=["fees", "charity", "stripe", "payouts"]),
                name="ledger_one_system_account_per_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["funds", "earnings", "pool"]) | Q(balance__gte=0),
                name="ledger_wallets_and_pools_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="receivable") | Q(balance__lte=0),
                name="ledger_receivable_not_positive",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(kind__in=["funds", "earnings", "receivable"]),
                name="ledger_user_kinds_have_user",
            ),
        ]

    def __str__(self) -> str:
        if self.user_id:
            return f"{self.get_kind_display()} of {self.user}"
        return self.label or self.get_kind_display()


class Transfer(models.Model):
    """One movement of money from `debit` to `credit`. Append-only: a database trigger refuses
    UPDATE and DELETE; a correction is a new, reversing transfer."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("deposit")
        REFUND = "refund", _("refund")
        DISPUTE = "dispute", _("dispute")
        DISPUTE_WON = "dispute_won", _("dispute won")
        RECEIVABLE_SETTLE = "receivable_settle", _("debt settled")
        SHARE = "share", _("flattr share")
        FEE = "fee", _("fee")
        CHARITY = "charity", _("to charity")
        CLAIM = "claim", _("claimed pool")
        EXPIRY = "expiry", _("returned unclaimed share")
        PAYOUT = "payout", _("payout")
        PAYOUT_REVERSAL = "payout_reversal", _("payout reversed")
        PAYOUT_SETTLED = "payout_settled", _("payout settled")  # clearing → Stripe: it left
        PAYOUT_FEE = "payout_fee", _("payout fee")
        ADJUSTMENT = "adjustment", _("adjustment")
        INTERNAL = "internal", _("transfer between users")
        # Payday moves what a donor spends from their earnings into their funds first, so every
        # share and fee is then paid from one account (see payments/payday.py).
        EARNINGS_SPENT = "earnings_spent", _("earnings spent on flattrs")

    # Payday appends a million transfers at a time, so the table carries only what reads need
    # and what keeps it sound, each as cheap to maintain as it can be:
    # - the references are checked once per INSERT statement, set-based, by the trigger
    #   payments_transfer_references (migration 0007), not by a foreign-key trigger per row,
    #   which cost payday more than the inserts themselves; ledger accounts and paydays can
    #   never be deleted (triggers refuse it), so a reference, once checked, stays valid;
    # - the idempotency key is unique in the "C" collation (byte order, no locale lookups) and
    #   has no second pattern-ops index;
    # - created_at and payday, which only grow as rows are appended, get small BRIN indexes;
    #   the account indexes carry the payday as a second column.
    debit = models.ForeignKey(
        LedgerAccount,
        on_delete=models.PROTECT,
        related_name="debits",
        db_constraint=False,
        db_index=False,  # transfer_debit_payday_idx leads with it
    )
    credit = models.ForeignKey(
        LedgerAccount,
        on_delete=models.PROTECT,
        related_name="credits",
        db_constraint=False,
        db_index=False,  # transfer_credit_payday_idx leads with it
    )
    amount = models.BigIntegerField()  # cents, > 0
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=200, db_collation="C")  # idempotency key, unique below
    created_at = models.DateTimeField(auto_now_add=True)
    month = models.DateField(null=True, blank=True)  # the first day of the month it belongs to
    payday = models.ForeignKey(
        "payments.Payday",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    MEMO_MAX = 300
    memo = models.CharField(max_length=MEMO_MAX, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.UniqueConstraint(fields=["key"], name="transfer_key_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(
                condition=~Q(debit=models.F("credit")), name="transfer_not_to_itself"
            ),
        ]
        indexes = [
            # An account's statement, and what one payday moved on one account.
            models.Index(fields=["debit", "payday"], name="transfer_debit_payday_idx"),
            models.Index(fields=["credit", "payday"], name="transfer_credit_payday_idx"),
            BrinIndex(fields=["created_at"], name="transfer_created_brin"),
            BrinIndex(fields=["payday"], name="transfer_payday_brin"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} {format_cents(self.amount)} ({self.debit} → {self.credit})"
        )
