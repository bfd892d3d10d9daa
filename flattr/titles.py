"""Titles made up from a thing's address, for old buttons and links that send none.

Flattr's own widget code (2016+), Podlove's static button and most README badges name only the
owner and the URL. Fetching the page to read its <title> would make the server request any
address a stranger writes into a link, so the title is made from the URL alone, and the thing
is marked (`Thing.title_from_url`) for its owner to give it a real one.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flattr.models import TITLE_MAX, TITLE_MIN

# Path segments that say nothing about the page ("index.html", "2014", "p").
_DULL_SEGMENT = re.compile(r"^(index|default|home|main)?(\.\w{1,5})?$|^\d{1,4}$|^[a-z]$", re.I)
_SEPARATORS = re.compile(r"[-_+.\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def title_from_url(url: str) -> str:
    """Return a title for `url` (normalized): its last telling path segment and its host.

    "https://pat.example.org/2014/05/bees-and-honey.html" → "Bees and honey – pat.example.org".
    Always TITLE_MIN to TITLE_MAX characters, no control characters.
    """
    parts = urlsplit(url)
    host = parts.hostname or "web"
    host = host.removeprefix("www.")
    words = ""
    for segment in reversed([s for s in parts.path.split("/") if s]):
        segment = _CONTROL.sub("", unquote(segment))
        segment = re.sub(r"\.(html?|php|aspx?|jsp|cgi)$", "", segment, flags=re.I)
        if _DULL_SEGMENT.match(segment):
            continue
        words = _SEPARATORS.sub(" ", segment).strip()
        if words:
            break
    if words:
        words = words[0].upper() + words[1:]
        title = f"{words} – {host}"
    else:
        title = host
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1].rstrip() + "…"
    if len(title) < TITLE_MIN:
        title = f"{title} (web)" if len(title) >= 1 else "A web page"
    return title


# A link's title longer than Flattr's 100 characters is shortened, up to this length; longer
# ones are refused as they are (they are abuse, not a long post title).
TITLE_SHORTEN_MAX = 300


def title_for_link(given: str, url: str) -> tuple[str, bool]:
    """Return (title, made up) for an auto-submit link's or button's title and URL.

    None given: one made from the URL. Shorter than TITLE_MIN ("Bees"): completed with the
    host. Longer than TITLE_MAX but at most TITLE_SHORTEN_MAX: cut at a word, with "…". Made or
    changed titles are marked for the owner; anything else is left to the usual validation.
    """
    given = " ".join((given or "").split())
    if not given:
        return title_from_url(url), True
    if len(given) < TITLE_MIN and not _CONTROL.search(given):
        host = (urlsplit(url).hostname or "web").removeprefix("www.")
        return f"{given} – {host}"[:TITLE_MAX], True
    if TITLE_MAX < len(given) <= TITLE_SHORTEN_MAX:
        cut = given[: TITLE_MAX - 1]
        space = cut.rfind(" ")
        return (cut[:space] if space > TITLE_MAX // 2 else cut).rstrip() + "…", True
    return given, False
