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

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

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
