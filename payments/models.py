"""The books: ledger accounts, transfers between them, and each donor's monthly budget.

Money is integer cents (BigIntegerField), one currency per installation, never floats.
Sign convention: an account's balance = credits - debits. Wallets (funds, earnings) and held pools
are never negative; the outside world (Stripe clearing, payouts clearing) goes negative as money
comes in, so the sum of all balances is always 0.
"""

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


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
        return f"{self.get_kind_display()} {self.amount} ({self.debit} → {self.credit})"


class Budget(models.Model):
    """A donor's monthly budget and spending choices. No row means a budget of 0."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="budget"
    )
    monthly_cents = models.BigIntegerField(default=0)
    # Earnings may pay for flattrs only when the user says so (funds always do).
    use_earnings = models.BooleanField(default=False)
    # A month without flattrs keeps the budget, unless the donor chose to give it to charity.
    unused_to_charity = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.CheckConstraint(condition=Q(monthly_cents__gte=0), name="budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.monthly_cents}"


class Payday(models.Model):
    """One run of the monthly split; unique per month. The stage makes a rerun resume."""

    class Stage(models.TextChoices):
        STARTED = "started", _("started")
        SHARES = "shares", _("shares computed")
        POSTED = "posted", _("transfers posted")
        NOTIFIED = "notified", _("notifications queued")
        DONE = "done", _("done")

    month = models.DateField(unique=True)  # first day of the month that was split
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.STARTED)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    donors = models.IntegerField(default=0)
    shares = models.IntegerField(default=0)
    recipients = models.IntegerField(default=0)
    total_cents = models.BigIntegerField(default=0)
    fees_cents = models.BigIntegerField(default=0)
    charity_cents = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("payday")
        verbose_name_plural = _("paydays")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"Payday {self.month:%Y-%m} ({self.stage})"


class Share(models.Model):
    """One flattr's part of a payday: who gave how much to whom. Kept for statements, for
    returning unclaimed money to its donors, and for audits."""

    class State(models.TextChoices):
        PAID = "paid", _("paid")  # credited to a user's earnings
        HELD = "held", _("held")  # in a platform account's pool, waiting for a claim
        CLAIMED = "claimed", _("claimed")  # was held; the owner claimed the pool
        RETURNED = "returned", _("returned")  # was held; went back to the donor on expiry

    # Payday writes a million of these in one pass. A database foreign key costs a lookup (and,
    # for the flattr, a row lock) per reference per row, several times the cost of the insert
    # itself, so the references are not enforced by triggers: every row is written by
    # payday_snapshot.sql from a join over the referenced rows in the same statement, the ORM
    # still refuses to delete a referenced row (PROTECT), and payday_check_shares.sql verifies the
    # references set-based after each payday.
    payday = models.ForeignKey(
        Payday,
        on_delete=models.PROTECT,
        related_name="share_rows",
        db_constraint=False,
        db_index=False,  # share_payday_brin: shares are appended payday by payday
    )
    month = models.DateField()
    flattr = models.OneToOneField(
        "flattr.Flattr", on_delete=models.PROTECT, related_name="share", db_constraint=False
    )
    donor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="shares_given",
        db_constraint=False,
        db_index=False,  # share_donor_month_idx leads with donor
    )
    thing = models.ForeignKey(
        "flattr.Thing",
        on_delete=models.PROTECT,
        related_name="shares",
        db_constraint=False,
        db_index=False,  # nothing looks shares up by thing alone; each index costs every payday
    )
    payee = models.ForeignKey(
        LedgerAccount,
        on_delete=models.PROTECT,
        related_name="shares",
        db_constraint=False,
        db_index=False,  # share_payee_state_idx leads with payee
    )
    amount = models.BigIntegerField()  # cents, >= 0 (a tiny budget over many flattrs gives 0s)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PAID)
    settled_at = models.DateTimeField(null=True, blank=True)  # when claimed or returned

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="share_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["payee", "state", "month"], name="share_payee_state_idx"),
            models.Index(fields=["donor", "month"], name="share_donor_month_idx"),
            BrinIndex(fields=["payday"], name="share_payday_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} from {self.donor_id} to account {self.payee_id} ({self.month})"


class PaydayDonor(models.Model):
    """One donor's part of a payday, snapshotted when its shares are computed.

    It records what payday read (budget, spendable wallet) and decided (what is taken, from which
    balance, the fee, charity), so posting and every rerun work from these numbers, never from
    balances that moved since. A donor without live flattrs appears only when they give their
    unused budget to charity.
    """

    # Written in bulk by payday like Share, and for the same reason without foreign-key
    # triggers (see Share); the unique and donor/month indexes cover every look-up.
    payday = models.ForeignKey(
        Payday,
        on_delete=models.PROTECT,
        related_name="donor_rows",
        db_constraint=False,
        db_index=False,
    )
    month = models.DateField()
    donor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payday_rows",
        db_constraint=False,
        db_index=False,
    )
    funds = models.ForeignKey(
        LedgerAccount,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    earnings = models.ForeignKey(
        LedgerAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    flattrs = models.IntegerField()  # n: live flattrs that month
    # All amounts in cents. funds_cents/earnings_cents are the balances payday could take from
    # (earnings only when the donor opted in; 0 while the account is frozen).
    budget_cents = models.BigIntegerField()
    funds_cents = models.BigIntegerField()
    earnings_cents = models.BigIntegerField()
    taken_cents = models.BigIntegerField()  # b = min(budget, funds + earnings)
    from_funds_cents = models.BigIntegerField()  # funds first …
    from_earnings_cents = models.BigIntegerField()  # … then earnings
    fee_cents = models.BigIntegerField()
    charity_cents = models.BigIntegerField()  # unused budget given to charity (n = 0)

    class Meta:
        verbose_name = _("payday donor")
        verbose_name_plural = _("payday donors")
        constraints = [
            models.UniqueConstraint(fields=["payday", "donor"], name="payday_donor_once"),
            models.CheckConstraint(
                condition=Q(taken_cents=F("from_funds_cents") + F("from_earnings_cents"))
                & Q(from_funds_cents__gte=0, from_earnings_cents__gte=0, fee_cents__gte=0)
                & Q(charity_cents__gte=0),
                name="payday_donor_sources_add_up",
            ),
        ]
        indexes = [models.Index(fields=["donor", "month"], name="payday_donor_month_idx")]

    def __str__(self) -> str:
        return f"{self.donor_id} gives {self.taken_cents} ({self.month:%Y-%m})"


class PaydayNotice(models.Model):
    """A recipient told that their earnings crossed NOTIFY_THRESHOLD_CENTS in a payday.

    Unique per payday and user, so a rerun never tells anyone twice; `sent_at` is set when the
    email is handed to the mailer.
    """

    payday = models.ForeignKey(Payday, on_delete=models.PROTECT, related_name="notices")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payday_notices"
    )
    before_cents = models.BigIntegerField()
    after_cents = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payday notice")
        verbose_name_plural = _("payday notices")
        constraints = [
            models.UniqueConstraint(fields=["payday", "user"], name="payday_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.before_cents} → {self.after_cents}"


class StripeCustomer(models.Model):
    """The Stripe customer that holds a user's payments and saved card (one per user)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="stripe_customer",
    )
    customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Stripe customer")
        verbose_name_plural = _("Stripe customers")

    def __str__(self) -> str:
        return f"{self.user}: {self.customer_id}"


class Deposit(models.Model):
    """One payment of a user into their funds, from its start on our page to Stripe's verdict.

    The row is written before Stripe is called, and its `reference` travels to Stripe in the
    payment's metadata, so a webhook that overtakes the browser still finds it. Money moves only
    when a verified webhook says the payment succeeded (transfer key `deposit:<payment_id>`);
    `status` here is what the page shows, the ledger is the truth.
    """

    class Method(models.TextChoices):
        CHECKOUT = "checkout", _("Stripe Checkout")
        CARD = "card", _("card payment")
        AUTO_TOPUP = "auto_topup", _("automatic top-up")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for Stripe")
        REQUIRES_ACTION = "requires_action", _("waiting for your bank's confirmation")
        PROCESSING = "processing", _("paid, waiting for Stripe's confirmation")
        SUCCEEDED = "succeeded", _("credited")
        FAILED = "failed", _("failed")
        CANCELED = "canceled", _("canceled")
        REJECTED = "rejected", _("rejected (amount or currency did not match)")

    OPEN_STATUSES = (Status.PENDING, Status.REQUIRES_ACTION, Status.PROCESSING)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposits"
    )
    reference = models.UUIDField(unique=True)  # ours: in URLs and in the payment's metadata
    amount = models.BigIntegerField()  # cents asked for, > 0
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=12, choices=Method.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Stripe's PaymentIntent id: the key that makes a deposit credit exactly once.
    payment_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    FAILURE_MAX = 500
    # Stripe's words, shown to the user.
    failure = models.CharField(max_length=FAILURE_MAX, blank=True)
    credited_at = models.DateTimeField(null=True, blank=True)
    # Cumulative amount Stripe reports as refunded (charge.amount_refunded); the ledger has
    # debited exactly this much for refunds of this deposit.
    refunded_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_cents__gte=0) & Q(refunded_cents__lte=F("amount")),
                name="deposit_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="deposit_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} by {self.user} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Dispute(models.Model):
    """A card dispute (chargeback) on a deposit, as Stripe reports it.

    The disputed amount leaves the wallet once (key `dispute:<id>:…`) when the dispute is real
    (not a mere inquiry), and comes back once (key `dispute_won:<id>`) if it is won, whatever
    order Stripe's events arrive in.
    """

    WITHDRAWING_STATUSES = ("needs_response", "under_review", "won", "lost")

    dispute_id = models.CharField(max_length=255, unique=True)
    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, related_name="disputes")
    amount = models.BigIntegerField()  # cents, > 0, at most the deposit
    REASON_MAX = 100
    reason = models.CharField(max_length=REASON_MAX, blank=True)
    status = models.CharField(max_length=32)  # Stripe's status from the newest event seen
    status_at = models.BigIntegerField(default=0)  # that event's `created` (Unix seconds)
    debited = models.BooleanField(default=False)
    reversed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dispute_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id} ({self.status})"


class StripeEvent(models.Model):
    """Every verified webhook event, once per Stripe event id, with what we did about it.

    The row is inserted in the same transaction as the event's effect on the books, so a
    redelivery either sees it (and changes nothing) or waits for the first delivery to commit.
    """

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("applied")
        IGNORED = "ignored", _("ignored (event type we do not act on)")
        UNMATCHED = "unmatched", _("no matching deposit (kept; applied if one appears)")
        REJECTED = "rejected", _("rejected (did not match the deposit)")

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    created = models.BigIntegerField()  # Stripe's `created` (Unix seconds)
    livemode = models.BooleanField(default=False)
    payment_id = models.CharField(max_length=255, blank=True, db_index=True)
    deposit = models.ForeignKey(
        Deposit, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    error = models.TextField(blank=True)
    payload = models.JSONField()
    deliveries = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type} ({self.outcome})"


class AutoTopUp(models.Model):
    """A donor's saved card, charged off-session before payday when their funds run short."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="auto_topup",
    )
    payment_method_id = models.CharField(max_length=255)
    CARD_LABEL_MAX = 100
    card_label = models.CharField(max_length=CARD_LABEL_MAX, blank=True)  # "visa •••• 4242"
    amount = models.BigIntegerField()  # cents charged each time, > 0
    active = models.BooleanField(default=True)
    last_month = models.DateField(null=True, blank=True)  # the month last charged for
    last_error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("automatic top-up")
        verbose_name_plural = _("automatic top-ups")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="auto_topup_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.amount} ({'on' if self.active else 'off'})"
