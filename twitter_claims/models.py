"""Platform accounts (X, GitHub, Mastodon, Facebook pages …), held pools and claims.

An account is keyed by (provider, domain, stable numeric user id), never by its handle: handles
are renamed and recycled. The domain is the provider's host (a Mastodon instance; x.com,
github.com, facebook.com for the others), so `@anna@one.example` and `@anna@two.example` are two
accounts. Providers are modules in twitter_claims/providers/. Each account has a Thing (what
donors flattr; no owner until claimed) and a held pool (a ledger account). The thing's `payee`
is the pool until the account is claimed, then the owner's earnings, so payday needs to know
nothing about platforms.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

HANDLE_MAX = 100  # the longest handle of any provider (Facebook page names, with room)
DOMAIN_MAX = 253  # a DNS name


class PlatformAccount(models.Model):
    class Provider(models.TextChoices):
        TWITTER = "twitter", "Twitter/X"
        GITHUB = "github", "GitHub"
        MASTODON = "mastodon", "Mastodon"
        FACEBOOK = "facebook", "Facebook"

    provider = models.CharField(
        _("provider"), max_length=16, choices=Provider.choices, default=Provider.TWITTER
    )
    domain = models.CharField(_("domain"), max_length=DOMAIN_MAX, default="x.com")
    # The provider's numeric user id, kept as the decimal string it sends (X ids are 64-bit).
    user_id = models.CharField(_("user id"), max_length=20)
    handle = models.CharField(_("current handle"), max_length=HANDLE_MAX)
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
            models.UniqueConstraint(
                fields=["provider", "domain", "user_id"], name="platform_account_once"
            ),
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
        return f"{self.label} ({self.user_id})"

    def get_absolute_url(self) -> str:
        return self.provider_module.account_page(self.handle, self.domain)

    @property
    def provider_module(self):
        """The provider (twitter_claims.providers) this account belongs to."""
        from twitter_claims.providers import provider_get

        return provider_get(self.provider)

    @property
    def label(self) -> str:
        """The account as people write it: "@bob", "@anna@one.example"."""
        return self.provider_module.account_label(self.handle, self.domain)

    @property
    def is_claimed(self) -> bool:
        return self.claimed_by_id is not None


class HandleHistory(models.Model):
    """Every handle an account was seen with, so renames and recycled handles can be audited."""

    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="handle_history"
    )
    handle = models.CharField(_("handle"), max_length=HANDLE_MAX)
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
        OPEN = "open", _("waiting for the platform")
        RESOLVED = "resolved", _("resolved")
        FAILED = "failed", _("could not be resolved")

    # The provider (and instance) whose handle it is: X, or any registered provider.
    provider = models.CharField(_("platform"), max_length=20, default="twitter")
    domain = models.CharField(_("domain"), max_length=DOMAIN_MAX, default="x.com")
    handle = models.CharField(_("handle"), max_length=HANDLE_MAX)
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
                "provider",
                Lower("domain"),
                Lower("handle"),
                condition=Q(state="open"),
                name="pending_handle_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_state_display()})"

    @property
    def label(self) -> str:
        """The handle as people write it on its platform ("@bob", "@anna@one.example")."""
        from twitter_claims.providers import provider_find

        provider = provider_find(self.provider)
        return provider.account_label(self.handle, self.domain) if provider else self.handle


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
    handle = models.CharField(_("handle"), max_length=HANDLE_MAX)
    TEXT_MAX = 500  # the longest post of any provider (X: 280, Mastodon: 500)
    text = models.CharField(_("text"), max_length=TEXT_MAX)
    pool_cents = models.BigIntegerField(_("held (cents)"))
    donors = models.IntegerField(_("donors"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="sending")
    TWEET_ID_MAX, ERROR_MAX = 32, 300
    tweet_id = models.CharField(_("post id"), max_length=TWEET_ID_MAX, blank=True)
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


class MastodonApp(models.Model):
    """Our OAuth app on one Mastodon instance, registered through its `POST /api/v1/apps` the
    first time someone claims an account there (every instance is its own OAuth server)."""

    domain = models.CharField(_("instance"), max_length=DOMAIN_MAX, unique=True)
    client_id = models.CharField(_("client id"), max_length=200)
    client_secret = models.CharField(_("client secret"), max_length=200)
    redirect_uri = models.CharField(_("redirect URI"), max_length=500)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Mastodon app")
        verbose_name_plural = _("Mastodon apps")

    def __str__(self) -> str:
        return self.domain


class ProofCode(models.Model):
    """A one-time code a user places in an account's public profile (bio or website) to prove
    they control it when the platform's OAuth is not available. Single use, expiring; the
    check looks the account up by its numeric id, so a renamed or recycled handle proves
    nothing. An admin may also verify by hand, and the reason stays on this row."""

    class State(models.TextChoices):
        OPEN = "open", _("waiting for the code")
        USED = "used", _("bound")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("replaced by a newer code")

    CODE_MAX, REASON_MAX = 40, 500
    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="proof_codes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proof_codes"
    )
    # Public by design (it is meant for a public profile), so kept as it is.
    code = models.CharField(_("code"), max_length=CODE_MAX, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    used_at = models.DateTimeField(_("bound at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("verified by hand by"),
    )
    reason = models.CharField(_("reason for verifying by hand"), max_length=REASON_MAX, blank=True)

    class Meta:
        verbose_name = _("proof code")
        verbose_name_plural = _("proof codes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_state_display()})"
