"""Platform (Twitter/X) accounts, held pools and claims.

A platform account is keyed by (provider, numeric user id), never by its handle: handles are
renamed and recycled. Each account has a Thing (what donors flattr; no owner until claimed) and a
held pool (a ledger account). The thing's `payee` is the pool until the account is claimed, then
the owner's earnings, so payday needs to know nothing about Twitter.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class PlatformAccount(models.Model):
    class Provider(models.TextChoices):
        TWITTER = "twitter", "Twitter/X"

    provider = models.CharField(
        _("provider"), max_length=16, choices=Provider.choices, default=Provider.TWITTER
    )
    # X's numeric user id, kept as the decimal string X sends (ids are 64-bit snowflakes).
    user_id = models.CharField(_("user id"), max_length=20)
    handle = models.CharField(_("current handle"), max_length=15)
    NAME_MAX = 100
    name = models.CharField(_("name"), max_length=NAME_MAX, blank=True)
    handle_checked_at = models.DateTimeField(_("handle confirmed by X at"))
    pool = models.OneToOneField(
        "payments.LedgerAccount", on_delete=models.PROTECT, related_name="platform_account"
    )
    thing = models.OneToOneField(
        "flattr.Thing", on_delete=models.PROTECT, related_name="platform_account"
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="platform_accounts",
        verbose_name=_("claimed by"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # The owner's choices, proven with the same OAuth sign-in as a claim.
    notices_opted_out = models.BooleanField(_("no notices"), default=False)
    flattrs_opted_out = models.BooleanField(_("no new flattrs"), default=False)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("platform account")
        verbose_name_plural = _("platform accounts")
        constraints = [
            models.UniqueConstraint(fields=["provider", "user_id"], name="platform_account_once"),
            # One X id, one user: a user links at most one account per provider.
            models.UniqueConstraint(
                fields=["provider", "claimed_by"],
                condition=Q(claimed_by__isnull=False),
                name="platform_account_one_per_user",
            ),
            models.CheckConstraint(
                condition=Q(user_id__regex=r"^[0-9]{1,20}$"), name="platform_user_id_numeric"
            ),
            models.CheckConstraint(
                condition=Q(claimed_by__isnull=True, claimed_at__isnull=True)
                | Q(claimed_by__isnull=False, claimed_at__isnull=False),
                name="platform_account_claim_complete",
            ),
        ]
        indexes = [models.Index(Lower("handle"), name="platform_account_handle_idx")]

    def __str__(self) -> str:
        return f"@{self.handle} ({self.user_id})"

    def get_absolute_url(self) -> str:
        return reverse("twitter_claims:account", kwargs={"handle": self.handle})

    @property
    def is_claimed(self) -> bool:
        return self.claimed_by_id is not None


class HandleHistory(models.Model):
    """Every handle an account was seen with, so renames and recycled handles can be audited."""

    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="handle_history"
    )
    handle = models.CharField(_("handle"), max_length=15)
    first_seen_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("handle history")
        verbose_name_plural = _("handle history")
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(
                "account", Lower("handle"), name="handle_history_once_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.handle} ({self.account.user_id})"


class PendingHandle(models.Model):
    """A handle X could not resolve (outage, rate limit, no credentials) when it was flattred.

    Flattrs wait on this row's own thing and pool, so they are ordinary flattrs (pending,
    removable, split on payday) until `twitter_claims.tasks.handles_resolve` binds them to the
    account that holds the handle, under the rules in the README (never to a later holder).
    """

    class State(models.TextChoices):
        OPEN = "open", _("waiting for X")
        RESOLVED = "resolved", _("resolved")
        FAILED = "failed", _("could not be resolved")

    handle = models.CharField(_("handle"), max_length=15)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    thing = models.OneToOneField(
        "flattr.Thing", on_delete=models.PROTECT, related_name="pending_handle"
    )
    pool = models.OneToOneField(
        "payments.LedgerAccount", on_delete=models.PROTECT, related_name="pending_handle"
    )
    account = models.ForeignKey(
        PlatformAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pending_handles",
        verbose_name=_("resolved to"),
    )
    attempts = models.IntegerField(_("attempts"), default=0)
    LAST_ERROR_MAX = 200
    last_error = models.CharField(_("last error"), max_length=LAST_ERROR_MAX, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending handle")
        verbose_name_plural = _("pending handles")
        constraints = [
            models.UniqueConstraint(
                Lower("handle"), condition=Q(state="open"), name="pending_handle_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.handle} ({self.get_state_display()})"


class OwnerNotice(models.Model):
    """One message from the service account telling an owner that money waits for them.

    The row is written (state `sending`) before X is called, so two runs never post twice and a
    crash leaves a trace an admin can see; it becomes `sent` or `failed` afterwards.
    """

    class State(models.TextChoices):
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    account = models.ForeignKey(PlatformAccount, on_delete=models.CASCADE, related_name="notices")
    handle = models.CharField(_("handle"), max_length=15)
    TEXT_MAX = 280  # the length of a post on X
    text = models.CharField(_("text"), max_length=TEXT_MAX)
    pool_cents = models.BigIntegerField(_("held (cents)"))
    donors = models.IntegerField(_("donors"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="sending")
    TWEET_ID_MAX, ERROR_MAX = 32, 300
    tweet_id = models.CharField(_("tweet id"), max_length=TWEET_ID_MAX, blank=True)
    error = models.CharField(_("error"), max_length=ERROR_MAX, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("owner notice")
        verbose_name_plural = _("owner notices")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "-created_at"], name="owner_notice_recent_idx")]

    def __str__(self) -> str:
        return f"@{self.handle}: {self.get_state_display()}"


class OAuthAttempt(models.Model):
    """One OAuth round trip we started, so its `state` can be spent exactly once.

    The state itself and the PKCE verifier live in the browser's server-side session; here only a
    hash of the state, which a database-level conditional UPDATE marks as used.
    """

    state_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("OAuth attempt")
        verbose_name_plural = _("OAuth attempts")

    def __str__(self) -> str:
        return f"{self.purpose} at {self.created_at:%Y-%m-%d %H:%M}"
