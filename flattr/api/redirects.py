"""Which callback URLs an OAuth application may register and be redirected to.

Podcast and desktop apps of Flattr's time registered app schemes (`myapp://flattr`), which the
toolkit's default (http and https only) refuses. Every scheme is accepted except those that run
code or read local data in a browser. Pure Python: the settings module instantiates it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

REFUSED = frozenset({"javascript", "data", "vbscript", "file", "about", "blob", "filesystem"})
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$")


class RedirectSchemes:
    """A container answering `scheme in schemes` for the toolkit; iterates as http and https."""

    def __contains__(self, scheme: object) -> bool:
        return (
            isinstance(scheme, str)
            and bool(_SCHEME.match(scheme.lower()))
            and scheme.lower() not in REFUSED
        )

    def __iter__(self):
        return iter(("https", "http"))

    def __repr__(self) -> str:
        return "RedirectSchemes(any but " + ", ".join(sorted(REFUSED)) + ")"


def callback_url_valid(url: str) -> bool:
    """Whether `url` may be an application's callback: an allowed scheme, somewhere to go
    (a host, or a path for app schemes), no fragment, no whitespace."""
    if not url or len(url) > 2000 or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    if parts.scheme not in RedirectSchemes() or parts.fragment:
        return False
    if parts.scheme in {"http", "https"}:
        return bool(parts.hostname)
    return bool(parts.netloc or parts.path)
