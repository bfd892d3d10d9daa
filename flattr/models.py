"""Things and flattrs: what can be supported, and each click of support.

A Twitter/X account is a thing too (with no owner until claimed): every flattr points at a thing
and every thing knows the ledger account its shares go to (`payee`), so payday needs to know
nothing about Twitter, and a claim only re-points `payee`.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

TITLE_MIN, TITLE_MAX = 5, 100
DESCRIPTION_MAX = 1000
URL_MAX = 2000


class Thing(models.Model):
    class Category(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGES = "images", _("Images")
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio")
        SOFTWARE = "software", _("Software")
        PEOPLE = "people", _("People")
        REST = "rest", _("Other")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="things",
    )
    # Where this thing's payday shares are credited: the owner's earnings, or a held pool.
    payee = models.ForeignKey(
        "payments.LedgerAccount", on_delete=models.PROTECT, related_name="things"
    )
    url = models.CharField(_("URL"), max_length=URL_MAX)  # normalized, see flattr.urls_normalize
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX, blank=True)
    category = models.CharField(
        _("category"), max_length=10, choices=Category.choices, default=Category.REST
    )
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True, size=20)
    language = models.CharField(_("language"), max_length=10, default="en_GB", blank=True)
    # Flattr's `hidden`: left out of listings and search, still flattrable through its button.
    hidden = models.BooleanField(_("hidden"), default=False)
    # No new flattrs, and this month's do not count on payday: a Twitter/X owner who refused
    # flattrs, a handle not yet bound. Not Flattr's `hidden`, which only unlisted a thing.
    closed = models.BooleanField(_("closed to flattrs"), default=False, db_default=False)
    banned = models.BooleanField(_("banned"), default=False)  # set by admins; payday skips it
    # The title was made up from the URL (an old button or link sent none); the owner's list
    # asks them to write a real one, and editing the title clears this.
    title_from_url = models.BooleanField(
        _("title made from the address"), default=False, db_default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_flattr_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("thing")
        verbose_name_plural = _("things")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "url"],
                condition=Q(owner__isnull=False),
                name="thing_url_unique_per_owner",
            ),
        ]
        indexes = [models.Index(fields=["url"], name="thing_url_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("thing_detail", kwargs={"thing_id": self.pk})


class Flattr(models.Model):
    """One click: a donor supports a thing in a month. Pending (removable) until that month's
    payday; at most one per donor, thing and month, enforced by the database."""

    class Source(models.TextChoices):
        BUTTON = "button", _("button")
        SITE = "site", _("site")
        API = "api", _("API")
        SUBSCRIPTION = "subscription", _("subscription")

    donor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="flattrs"
    )
    thing = models.ForeignKey(Thing, on_delete=models.PROTECT, related_name="flattrs")
    month = models.DateField()  # the first day of the month the click counts for
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.SITE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("flattr")
        verbose_name_plural = _("flattrs")
        constraints = [
            models.UniqueConstraint(
                fields=["donor", "thing", "month"], name="flattr_once_per_donor_thing_month"
            ),
        ]
        indexes = [
            models.Index(fields=["month", "donor", "created_at", "id"], name="flattr_payday_idx"),
            models.Index(fields=["thing", "month"], name="flattr_thing_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.donor} → {self.thing} ({self.month:%Y-%m})"


class Subscription(models.Model):
    """Auto-flattr a thing at the start of each month for 3, 6 or 12 months."""

    class Length(models.IntegerChoices):
        THREE = 3, _("3 months")
        SIX = 6, _("6 months")
        TWELVE = 12, _("12 months")

    donor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="subscriptions")
    months = models.PositiveSmallIntegerField(choices=Length.choices)
    first_month = models.DateField()
    last_month = models.DateField()  # inclusive
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["donor", "thing"],
                condition=Q(cancelled_at__isnull=True),
                name="subscription_one_active_per_donor_thing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor} → {self.thing} for {self.months} months"


class LegacyFlattrId(models.Model):
    """An old Flattr identifier that old markup carries, mapped to one of our users.

    Before usernames, Flattr's buttons named the owner by a numeric user id (`uid:12345`); from
    2016 its widget used an opaque `fid`. Neither can be told from the markup alone, so an admin
    maps each one to a user after the owner shows it is theirs (an old Flattr mail, the site's
    markup); only then do those buttons pay that user.
    """

    class Kind(models.TextChoices):
        UID = "uid", _("numeric Flattr user id")
        FID = "fid", _("Flattr id (2016 widget)")

    value = models.CharField(_("old id"), max_length=64)
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices, default=Kind.UID)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="legacy_flattr_ids"
    )
    note = models.CharField(_("how it was verified"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("old Flattr id")
        verbose_name_plural = _("old Flattr ids")
        constraints = [
            models.UniqueConstraint(Upper("value"), name="legacy_flattr_id_unique_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value} → {self.user}"


class DataExport(models.Model):
    """One "your data" download: a zip built by a Celery task (flattr.data_export), mailed as a
    link. The zip lives in the database for DATA_EXPORT_DAYS so any web process can serve it
    (web processes keep no files); the token in the link is unguessable and the download also
    needs the owner's login."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    content = models.BinaryField(null=True, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")

    def __str__(self) -> str:
        return f"export {self.pk} of {self.user_id}"
