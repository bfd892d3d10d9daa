"""The one definition of "the same web address": how a thing's URL is normalized.

Flattr identified a thing by its full URL, query and fragment included, so two addresses that
differ only in the query or fragment are two things. We normalize only what cannot change what the
address points at (RFC 3986, section 6.2.2-6.2.3):

- the scheme must be http or https, and is lower-cased;
- the host is lower-cased and IDNA-encoded (``bücher.de`` → ``xn--bcher-kva.de``); user names and
  passwords in the address are refused;
- the default port (80 for http, 443 for https) is dropped, any other port kept;
- an empty path becomes ``/``; an empty query or fragment (a bare ``?`` or ``#``) is dropped;
- path, query and fragment are kept as written, except that characters that may not appear in a
  URL (spaces, non-ASCII letters, ``<>"{}|\\^```) are percent-encoded as browsers do;
- control characters anywhere refuse the address, as does a result longer than URL_MAX.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

from django.utils.translation import gettext as _

from flattr.models import URL_MAX

ALLOWED_SCHEMES = {"http": 80, "https": 443}
# Everything RFC 3986 allows literally in path, query and fragment, plus "%" so existing escapes
# are kept; what is left (space, non-ASCII, <>"{}|\^`) gets percent-encoded.
_SAFE = "/?#[]@!$&'()*+,;=:-._~%"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def url_normalize(raw: str) -> str:
    """Return the normalized form of `raw`, or raise ValueError saying what is wrong with it."""
    if not isinstance(raw, str):
        raise ValueError(_("The address must be text."))
    if _CONTROL.search(raw):
        raise ValueError(_("The address contains control characters."))
    text = raw.strip()
    if not text:
        raise ValueError(_("The address is empty."))
    if len(text) > URL_MAX * 3:
        # Refuse absurd input before parsing it; the exact limit is checked at the end.
        raise ValueError(_("The address is longer than %(max)d characters.") % {"max": URL_MAX})
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise ValueError(_("The address is malformed (check the host and port).")) from error
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise ValueError(_("Only http:// and https:// addresses can be flattred."))
    if parts.username is not None or parts.password is not None:
        raise ValueError(_("The address must not contain a user name or password."))
    host = _host_normalize(parts.hostname or "")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != ALLOWED_SCHEMES[scheme]:
        if port == 0:
            raise ValueError(_("The address has an invalid port."))
        netloc = f"{netloc}:{port}"
    path = quote(parts.path, safe=_SAFE) or "/"
    query = quote(parts.query, safe=_SAFE)
    fragment = quote(parts.fragment, safe=_SAFE)
    normalized = urlunsplit((scheme, netloc, path, query, fragment))
    if len(normalized) > URL_MAX:
        raise ValueError(_("The address is longer than %(max)d characters.") % {"max": URL_MAX})
    return normalized


def _host_normalize(host: str) -> str:
    """Return the lower-case ASCII (IDNA) form of a host name, or raise ValueError."""
    if not host:
        raise ValueError(_("The address has no host name."))
    if ":" in host:  # an IPv6 literal; urlsplit already checked the brackets
        if not re.fullmatch(r"[0-9a-f:.]+", host.lower()):
            raise ValueError(_("The address has an invalid IPv6 host."))
        return host.lower()
    host = host.rstrip(".").lower()
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError(_("The address has an invalid host name.")) from error
    if _IPV4.match(ascii_host):
        if any(int(octet) > 255 for octet in ascii_host.split(".")):
            raise ValueError(_("The address has an invalid IP address."))
        return ascii_host
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError(_("The address has an invalid host name."))
    return ascii_host
