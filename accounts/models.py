"""The user model: one account for donors, publishers and Twitter owners alike."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    about = models.TextField(_("about"), max_length=2000, blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    # Not public unless the donor says so: asked on the first flattr (supporter_asked).
    show_as_supporter = models.BooleanField(
        _("show me as a supporter on things I flattr"), default=False
    )
    supporter_asked = models.BooleanField(_("asked about being a public supporter"), default=False)
    # Privacy of the public profile (accounts.privacy): what it shows and who may find it.
    show_giving = models.BooleanField(
        _("show what I flattred last month on my profile"), default=False
    )
    show_receiving = models.BooleanField(
        _("show my things and their flattr counts on my profile"), default=True
    )
    show_supporters = models.BooleanField(_("show who supports me on my profile"), default=True)
    profile_noindex = models.BooleanField(_("keep my profile out of search engines"), default=False)
    explore_hidden = models.BooleanField(
        _("keep my profile and things out of explore and search"), default=False
    )
    # Closing (flattr.closing): asked for at closing_requested_at, money settled then; personal
    # fields erased once the grace period is over (erased_at). Ledger rows keep pointing here.
    closing_requested_at = models.DateTimeField(_("closing requested at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)
    email_notifications = models.BooleanField(
        _("email me about payday, earnings and claims"), default=True
    )
    # Moderation state, written only by accounts.moderation (with a history row each time).
    # A suspended account's flattrs do not count, its wallet is frozen and its things cannot
    # be flattred; `mark` is the newest AccountMark's kind ("" when none or cleared).
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    mark = models.CharField(_("mark"), max_length=12, blank=True)
    # The sign-up address's network (/24 for IPv4, /48 for IPv6), never the address itself:
    # enough to see sign-up bursts and shared networks on the fraud review page.
    signup_network = models.CharField(_("sign-up network"), max_length=49, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["signup_network"], name="user_signup_network_idx")]

    def __str__(self) -> str:
        return self.username

    @property
    def is_closing(self) -> bool:
        return self.closing_requested_at is not None

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def website_link(self) -> str:
        """Return the website if it may be a link: http(s) only.

        The form's URLField already refuses other schemes; this keeps an address stored some
        other way (the admin, an import, data from before the check) from becoming a
        `javascript:` link on the public profile.
        """
        return self.website if self.website.lower().startswith(("https://", "http://")) else ""

    def get_absolute_url(self) -> str:
        return reverse("profile", kwargs={"username": self.username})


class AccountMark(models.Model):
    """One mark an admin put on an account, kept forever: the history is the audit trail.

    Rows are only ever inserted (a database trigger refuses UPDATE and DELETE); the account's
    current mark is the newest row, copied to `User.mark` in the same transaction by
    accounts.moderation.account_mark_add so payday's SQL and the admin lists can read it cheaply.
    """

    class Kind(models.TextChoices):
        TRUSTED = "trusted", _("trusted")
        SUSPICIOUS = "suspicious", _("suspicious")
        FRAUD = "fraud", _("fraud")
        SPAM = "spam", _("spam")
        CLEARED = "cleared", _("cleared")  # takes the previous mark away

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="marks")
    kind = models.CharField(_("mark"), max_length=12, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=500)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("account mark")
        verbose_name_plural = _("account marks")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["user", "-created_at"], name="accountmark_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"


class AdminAction(models.Model):
    """Who did what to which record, and why: every admin action, from every app.

    Insert-only like AccountMark. The target is named by app label, model and id (not a foreign
    key), so apps above accounts can record actions on their own rows without accounts
    knowing them.
    """

    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="admin_actions")
    action = models.CharField(_("action"), max_length=40)
    target_type = models.CharField(_("target type"), max_length=60)  # "<app_label>.<model>"
    target_id = models.BigIntegerField(_("target id"))
    target_label = models.CharField(_("target"), max_length=200)
    subject = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # the account the action concerns, so the support page can list them
    reason = models.CharField(_("reason"), max_length=500)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("admin action")
        verbose_name_plural = _("admin actions")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["subject", "-created_at"], name="adminaction_subject_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_label}"
