"""Fraud review of claims: a claimer who shares a sign-up network or an email domain with the
donors of the account they claimed (someone flattring their own second account to cash out).

Registered with core's console in TwitterClaimsConfig.ready.
"""

from __future__ import annotations

import re

from django.db import connection
from django.utils.translation import gettext, ngettext

from flattr.console.registry import ReviewRow, ReviewWindow

# Domains that millions of unrelated people share say nothing about who is behind an account.
FREE_MAIL_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
    "example.org",
    "example.com",
)
ROWS = 50

# Donors are everyone who flattred the account's thing (before the claim through the pool,
# after it straight to the claimer), so the pattern shows whichever way the money went.
_SHARED = """
SELECT username, handle, same_network, same_domain, network, domain FROM (
    SELECT c.username, a.handle,
           count(DISTINCT d.id) FILTER (
               WHERE c.signup_network <> '' AND d.signup_network = c.signup_network
           ) AS same_network,
           count(DISTINCT d.id) FILTER (
               WHERE lower(split_part(d.email, '@', 2)) = lower(split_part(c.email, '@', 2))
           ) AS same_domain,
           min(c.signup_network) AS network,
           lower(split_part(min(c.email), '@', 2)) AS domain
    FROM twitter_claims_platformaccount a
    JOIN accounts_user c ON c.id = a.claimed_by_id
    JOIN flattr_flattr f ON f.thing_id = a.thing_id
    JOIN accounts_user d ON d.id = f.donor_id AND d.id <> c.id
    WHERE a.claimed_at >= %(since)s
      AND ((c.signup_network <> '' AND d.signup_network = c.signup_network)
           OR (lower(split_part(d.email, '@', 2)) = lower(split_part(c.email, '@', 2))
               AND lower(split_part(c.email, '@', 2)) <> ALL(%(free)s)))
    GROUP BY c.username, a.handle
) shared
ORDER BY same_network + same_domain DESC, username
LIMIT %(limit)s
"""


def claimers_sharing_with_donors(window: ReviewWindow) -> list[ReviewRow]:
    """Return claims since the window's start whose claimer shares a network or a (non-free)
    email domain with donors of the claimed account."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SHARED, {"since": window.since, "free": list(FREE_MAIL_DOMAINS), "limit": ROWS}
        )
        rows = cursor.fetchall()
    found = []
    for username, handle, same_network, same_domain, network, domain in rows:
        parts = []
        if same_network:
            parts.append(
                ngettext(
                    "%(n)d donor signed up from the claimer's network %(network)s",
                    "%(n)d donors signed up from the claimer's network %(network)s",
                    same_network,
                )
                % {"n": same_network, "network": network}
            )
        if same_domain and domain not in FREE_MAIL_DOMAINS:
            parts.append(
                ngettext(
                    "%(n)d donor has an address at %(domain)s, like the claimer",
                    "%(n)d donors have an address at %(domain)s, like the claimer",
                    same_domain,
                )
                % {"n": same_domain, "domain": domain}
            )
        found.append(
            ReviewRow(
                pattern="claimer_shared",
                title=gettext("@%(handle)s claimed by someone close to its donors")
                % {"handle": handle},
                detail="; ".join(parts),
                usernames=[username],
                query=f"@{handle}",
            )
        )
    return found


_PROFILE_URL = re.compile(
    r"^(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/@?([A-Za-z0-9_]{1,15})(?:[/?#]|$)",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"^@([A-Za-z0-9_]{1,15})$")


def users_for_handle(term: str) -> list[int]:
    """Support search: `@handle` or an x.com/twitter.com profile URL -> the claimer's id."""
    from twitter_claims.models import PlatformAccount

    term = term.strip()
    match = _HANDLE.match(term) or _PROFILE_URL.match(term)
    if match is None:
        return []
    return list(
        PlatformAccount.objects.filter(
            handle__iexact=match.group(1), claimed_by__isnull=False
        ).values_list("claimed_by_id", flat=True)[:10]
    )
