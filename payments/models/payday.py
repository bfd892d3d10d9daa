"""Each donor's monthly budget, and what payday records when it splits one: the payday, its
donor snapshots, its shares, and the notices it sends."""

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from payments.models.ledger import LedgerAccount
from payments.templatetags.money import format_cents


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
        return f"{self.user}: {format_cents(self.monthly_cents)}"


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
        amount = format_cents(self.amount)
        return f"{amount} from {self.donor_id} to account {self.payee_id} ({self.month})"


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
        return f"{self.donor_id} gives {format_cents(self.taken_cents)} ({self.month:%Y-%m})"


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
        return (
            f"{self.user_id}: {format_cents(self.before_cents)} → {format_cents(self.after_cents)}"
        )
