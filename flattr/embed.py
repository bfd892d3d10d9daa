"""The snippets publishers copy from the embed page: buttons, badges and discovery links."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from flattr.models import Thing


@dataclass(frozen=True)
class Snippet:
    key: str
    label: str
    code: str
    help: str = ""


def embed_snippets(*, site: str, thing: Thing) -> list[Snippet]:
    """Return the snippets for this thing. `site` is our origin, e.g. https://flattr.example.

    The anchors link to the thing's page, so without JavaScript they are a working link; the
    loader reads the real URL from data-flattr-url.
    """
    uid = thing.owner.username
    page = site + thing.get_absolute_url()
    loader = f'<script src="{escape(site)}/js/load.js" async></script>'
    anchor_attrs = (
        f'href="{escape(page)}" data-flattr-uid="{escape(uid)}" '
        f'data-flattr-url="{escape(thing.url)}" title="{escape(thing.title)}"'
    )
    link_text = escape(_("Flattr this"))
    badge = site + reverse("badge_by_id", kwargs={"thing_id": thing.pk})
    auto_submit = (
        site
        + reverse("auto_submit")
        + "?"
        + urlencode({"user_id": uid, "url": thing.url, "title": thing.title})
    )
    return [
        Snippet(
            "large",
            _("Large button, with the count above"),
            f'<a class="FlattrButton" {anchor_attrs}>{link_text}</a>\n{loader}',
        ),
        Snippet(
            "compact",
            _("Compact button, with the count beside it"),
            f'<a class="FlattrButton" {anchor_attrs} data-flattr-button="compact">'
            f"{link_text}</a>\n{loader}",
        ),
        Snippet(
            "badge",
            _("Badge for READMEs and feeds (no script)"),
            f'<a href="{escape(page)}"><img src="{escape(badge)}" alt="{link_text}"></a>',
        ),
        Snippet(
            "markdown",
            _("Badge in Markdown"),
            f"[![{_('Flattr this')}]({badge})]({page})",
        ),
        Snippet(
            "payment",
            _("Discovery link for your page's <head> or your feed"),
            f'<link rel="payment" href="{escape(auto_submit)}" title="Flattr">',
            _("Podcast apps and feed readers that know Flattr find your thing through it."),
        ),
    ]
