"""Flattr's auto-submit parameters, shared by `/submit/auto`, the button and the confirmation.

`/submit/auto?user_id=U&url=URL&title=T&description=D&language=L&tags=a,b&category=C&hidden=0`
names a thing by its owner and URL. If the owner already has a thing with that (normalized) URL,
that thing is meant; otherwise the parameters describe a thing that is created on its first
flattr (flattr.services.flattr_via_auto_submit).

Old links name the owner as `user_id`, `uid` (buttons) or `fid` (Flattr's 2016 widget), by
username or by an old Flattr id an admin mapped (flattr.selectors.user_for_uid). The title is
optional: Flattr's widget code, Podlove's static button and README badges send none, so one is
made from the URL (flattr.titles) and marked for the owner to edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from flattr.errors import FlattrError
from flattr.languages import DEFAULT_LANGUAGE, LANGUAGE_CODE, language_normalize
from flattr.models import Thing
from flattr.selectors import user_for_uid
from flattr.services import ThingFields, thing_fields_clean
from flattr.services.things import url_clean
from flattr.titles import title_for_link

# The parameters, in Flattr's order; `uid` (the button's) and `fid` (the 2016 widget's) are
# accepted as synonyms of `user_id`.
PARAMS = ("user_id", "url", "title", "description", "language", "tags", "category", "hidden")
OWNER_PARAMS = ("user_id", "uid", "fid")
TRUE_VALUES = {"1", "true", "yes", "on"}


@dataclass
class AutoSubmit:
    """A parsed, validated auto-submit request: the owner, the fields and the thing if it exists."""

    owner: object
    fields: ThingFields
    thing: Thing | None = None
    raw: dict = field(default_factory=dict)
    title_from_url: bool = False  # no title was given; fields.title was made from the URL

    @property
    def category_label(self) -> str:
        return Thing.Category(self.fields.category).label

    def thing_kwargs(self) -> dict:
        return {**self.fields.__dict__, "title_from_url": self.title_from_url}

    def query(self) -> str:
        """Return the canonical query string for these parameters (for links and forms)."""
        params = {"user_id": self.owner.username, "url": self.fields.url}
        if not self.title_from_url:  # a made-up title stays made up when the link is reused
            params["title"] = self.fields.title
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


def _link_language(raw: str) -> str:
    """Return a link's language as Flattr's id; a well-formed code Flattr never listed ("eo",
    "gl") becomes the default rather than failing an old link. Malformed values still fail."""
    try:
        return language_normalize(raw)
    except ValueError:
        # Malformed values go on as they are, for thing_fields_clean to refuse clearly.
        return DEFAULT_LANGUAGE if LANGUAGE_CODE.match(raw.strip()) else raw


def auto_submit_parse(params: QueryDict | dict) -> AutoSubmit:
    """Validate auto-submit parameters, or raise FlattrError.

    Codes: `invalid_parameters` (a missing user_id/url, or a bad field), `invalid_url`,
    `not_found` (no active user of that name or old id).
    """

    def get(name: str) -> str:
        value = params.get(name, "")
        return value if isinstance(value, str) else ""

    username = next((get(name).strip() for name in OWNER_PARAMS if get(name).strip()), "")
    missing = [name for name, value in (("user_id", username), ("url", get("url"))) if not value]
    if missing:
        raise FlattrError(
            "invalid_parameters",
            _("The link is missing: %(names)s.") % {"names": ", ".join(missing)},
        )
    owner = user_for_uid(username)
    if owner is None:
        raise FlattrError("not_found", _("There is no Flattr user with that name."))
    title, title_made = title_for_link(get("title"), url_clean(get("url")))
    fields = thing_fields_clean(
        url=get("url"),
        title=title,
        description=get("description"),
        category=get("category") or Thing.Category.REST,
        tags=get("tags"),
        language=_link_language(get("language") or get("lang")),
        hidden=get("hidden").strip().lower() in TRUE_VALUES,
    )
    thing = Thing.objects.filter(owner=owner, url=fields.url).first()
    return AutoSubmit(
        owner=owner,
        fields=fields,
        thing=thing,
        raw={k: get(k) for k in PARAMS},
        title_from_url=title_made,
    )
