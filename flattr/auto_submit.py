"""Flattr's auto-submit parameters, shared by `/submit/auto`, the button and the confirmation.

`/submit/auto?user_id=U&url=URL&title=T&description=D&language=L&tags=a,b&category=C&hidden=0`
names a thing by its owner and URL. If the owner already has a thing with that (normalized) URL,
that thing is meant; otherwise the parameters describe a thing that is created on its first
flattr (flattr.services.flattr_via_auto_submit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from flattr.errors import FlattrError
from flattr.models import Thing
from flattr.services import ThingFields, thing_fields_clean

# The parameters, in Flattr's order; `uid` is accepted as a synonym of `user_id` (the button's).
PARAMS = ("user_id", "url", "title", "description", "language", "tags", "category", "hidden")
USERNAME_MAX = 150
TRUE_VALUES = {"1", "true", "yes", "on"}


@dataclass
class AutoSubmit:
    """A parsed, validated auto-submit request: the owner, the fields and the thing if it exists."""

    owner: object
    fields: ThingFields
    thing: Thing | None = None
    raw: dict = field(default_factory=dict)

    @property
    def category_label(self) -> str:
        return Thing.Category(self.fields.category).label

    def thing_kwargs(self) -> dict:
        return dict(self.fields.__dict__)

    def query(self) -> str:
        """Return the canonical query string for these parameters (for links and forms)."""
        params = {
            "user_id": self.owner.username,
            "url": self.fields.url,
            "title": self.fields.title,
        }
        if self.fields.description:
            params["description"] = self.fields.description
        params["language"] = self.fields.language
        if self.fields.tags:
            params["tags"] = ",".join(self.fields.tags)
        params["category"] = self.fields.category
        if self.fields.hidden:
            params["hidden"] = "1"
        return urlencode(params)

    def url(self) -> str:
        return reverse("auto_submit") + "?" + self.query()


def auto_submit_parse(params: QueryDict | dict) -> AutoSubmit:
    """Validate auto-submit parameters, or raise FlattrError.

    Codes: `invalid_parameters` (a missing user_id/url/title, or a bad field), `invalid_url`,
    `not_found` (no active user of that name).
    """
    from accounts.models import User

    def get(name: str) -> str:
        value = params.get(name, "")
        return value if isinstance(value, str) else ""

    username = (get("user_id") or get("uid")).strip()
    missing = [name for name, value in (("user_id", username), ("url", get("url"))) if not value]
    if not get("title").strip():
        missing.append("title")
    if missing:
        raise FlattrError(
            "invalid_parameters",
            _("The link is missing: %(names)s.") % {"names": ", ".join(missing)},
        )
    if len(username) > USERNAME_MAX:
        raise FlattrError("not_found", _("There is no Flattr user with that name."))
    owner = User.objects.filter(username__iexact=username, is_active=True).order_by("id").first()
    if owner is None:
        raise FlattrError("not_found", _("There is no Flattr user with that name."))
    fields = thing_fields_clean(
        url=get("url"),
        title=get("title"),
        description=get("description"),
        category=get("category") or Thing.Category.REST,
        tags=get("tags"),
        language=get("language"),
        hidden=get("hidden").strip().lower() in TRUE_VALUES,
    )
    thing = Thing.objects.filter(owner=owner, url=fields.url).first()
    return AutoSubmit(owner=owner, fields=fields, thing=thing, raw={k: get(k) for k in PARAMS})
