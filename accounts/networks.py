"""Which network an address belongs to: what fraud review and rate limits group people by.

One person easily has many addresses in one network (a home router's IPv6 /64s, a mobile
carrier's pool), so counting by address would miss a burst; counting by /24 (IPv4) or /48
(IPv6, a site's usual allocation) catches it. Only the network is ever stored.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

IPV4_PREFIX = 24
IPV6_PREFIX = 48


def network_of(address: str | None) -> str:
    """Return the address's network as text (`203.0.113.0/24`), or "" for no valid address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def request_network(request: HttpRequest) -> str:
    """Return the network of the client behind `request` (trusting TRUSTED_PROXY_COUNT hops,
    the way allauth's rate limits do)."""
    from allauth.core.internal.httpkit import get_client_ip

    return network_of(get_client_ip(request))
