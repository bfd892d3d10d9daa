"""Money in from Stripe: customers, deposits, disputes, webhook events, automatic top-ups."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from payments.templatetags.money import format_cents


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
        return f"{format_cents(self.amount)} by {self.user} ({self.status})"

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
        return f"{self.user}: {format_cents(self.amount)} ({'on' if self.active else 'off'})"
