"""Money out: a recipient's Stripe Connect account, and the payouts they request from it.

A payout's money moves only through the ledger: approval moves it from the recipient's
earnings to payouts clearing (transfer key `payout:<id>`), a failure moves exactly that back
(`payout:<id>:reversed`), and settlement moves it on from clearing to Stripe clearing and the
fee to fees (`payout:<id>:settled`, `payout:<id>:fee`), so clearing returns to zero.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

STRIPE_ID_LENGTH = 255
REASON_LENGTH = 500
BANK_LABEL_LENGTH = 100


class PayoutAccount(models.Model):
    """A recipient's Stripe Connect Express account and what Stripe last said about it."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("not started")
        DETAILS_MISSING = "details_missing", _("details missing")
        READY = "ready", _("ready")
        RESTRICTED = "restricted", _("restricted")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_account"
    )
    stripe_account_id = models.CharField(max_length=STRIPE_ID_LENGTH, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    status_reason = models.CharField(max_length=REASON_LENGTH, blank=True)
    # The bank account payouts go to, as Stripe names it (an id, never the number), and when it
    # last changed after the first one: the account-takeover guard counts from then.
    bank_account_id = models.CharField(max_length=STRIPE_ID_LENGTH, blank=True)
    bank_label = models.CharField(max_length=BANK_LABEL_LENGTH, blank=True)
    details_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payout account")
        verbose_name_plural = _("payout accounts")

    def __str__(self) -> str:
        return f"{self.stripe_account_id} ({self.user})"


class Payout(models.Model):
    """One payout request and every step it went through.

    requested → approved (money in clearing) → sent (Stripe transfer and bank payout made)
    → paid (settled); or → failed (reversed exactly), or requested → rejected (nothing moved).
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("waiting for approval")
        APPROVED = "approved", _("approved")
        SENT = "sent", _("on its way")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed (money returned)")
        REJECTED = "rejected", _("rejected")

    OPEN_STATUSES = (Status.REQUESTED, Status.APPROVED, Status.SENT)

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    account = models.ForeignKey(PayoutAccount, on_delete=models.PROTECT, related_name="payouts")
    amount = models.BigIntegerField()  # cents taken from earnings, fee included
    fee = models.BigIntegerField()  # cents kept for the transfer's cost; amount - fee is sent
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    auto_approved = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payouts_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=REASON_LENGTH, blank=True)
    transfer_id = models.CharField(max_length=STRIPE_ID_LENGTH, blank=True)
    stripe_payout_id = models.CharField(max_length=STRIPE_ID_LENGTH, blank=True, db_index=True)
    expected_on = models.DateField(null=True, blank=True)
    failure = models.CharField(max_length=REASON_LENGTH, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["status", "requested_at"], name="payout_queue_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(fee__gte=0) & Q(fee__lt=models.F("amount")),
                name="payout_amount_covers_fee",
            ),
            # One open request at a time per recipient: a double click cannot ask twice.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["requested", "approved", "sent"]),
                name="payout_one_open_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk} of {self.user} ({self.status})"

    @property
    def net(self) -> int:
        """What reaches the bank, in cents."""
        return self.amount - self.fee
