"""Which addresses a thing may point at: public web pages elsewhere, not this site, not a
private network.

A thing's URL is shown as a link on its page, in the button and in `<link rel="payment">`, so a
thing pointing at a private address would have visitors' browsers open their own router, printer
or intranet from our pages (a drive-by request with their cookies on that network), and any
future fetch of thing URLs (titles, previews) would become a way into ours. A thing pointing at
this site would let anyone "own" and collect for our pages (the wallet, the admin, someone's
profile) and loop buttons back into the site.

Refused: hosts of this site (SITE_URL, ALLOWED_HOSTS); IP literals that are not globally
routable (loopback, private, link-local such as the 169.254.169.254 metadata address, shared,
reserved, multicast, unspecified, and the IPv4-mapped IPv6 forms of these), including IPv4
written the legacy ways browsers still read (`2130706433`, `0x7f.1`); names that only resolve
inside a network (`localhost`, `*.localhost`, `*.local`, `*.internal`, `*.home.arpa`, and names
without a dot). Names are not resolved: we never fetch thing URLs, the machine may have no DNS,
and an answer could change after the check. THING_URLS_PRIVATE_ALLOWED turns the check off for
local experiments.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

PRIVATE_SUFFIXES = ("localhost", "local", "internal", "home.arpa")
# The WHATWG URL standard reads a host whose last label is a number as IPv4, in any of the
# legacy forms inet_aton accepts (decimal, octal, hex, fewer than four parts).
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
UNREADABLE_IPV4 = ipaddress.IPv4Address(0)  # "this host": never global


def url_destination_check(url: str) -> None:
    """Raise ValueError (a sentence) if the normalized `url` points at this site or a private
    address; see the module docstring for the rule and why."""
    if settings.THING_URLS_PRIVATE_ALLOWED:
        return
    host = (urlsplit(url).hostname or "").lower()
    if _is_own_host(host):
        raise ValueError(_("An address on this site cannot be a thing."))
    address = _ip_of(host)
    if address is not None:
        if not address.is_global or address.is_multicast:
            raise ValueError(_("A private or local network address cannot be a thing."))
        return
    labels = host.split(".")
    if len(labels) < 2 or any(
        host == suffix or host.endswith("." + suffix) for suffix in PRIVATE_SUFFIXES
    ):
        raise ValueError(_("A private or local network address cannot be a thing."))


def _is_own_host(host: str) -> bool:
    own = {(urlsplit(settings.SITE_URL).hostname or "").lower()}
    own |= {entry.lower() for entry in settings.ALLOWED_HOSTS if entry != "*"}
    for entry in own:
        if entry.startswith("."):  # Django's "this domain and every subdomain"
            if host == entry[1:] or host.endswith(entry):
                return True
        elif entry and host == entry:
            return True
    return False


def _ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the address a browser would read from `host`, or None for a name."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not _NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):
            return None
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return UNREADABLE_IPV4  # a browser cannot read it either: refuse it as non-global
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
