"""Reads for fraud review about people: sign-up bursts per network."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

# For each sign-up since `since`, count the sign-ups from its network in the `hours` after it;
# a network whose busiest such window reaches `minimum` is a burst. The network index keeps
# the inner count to one network's rows.
_BURSTS = """
SELECT u.signup_network, max(w.n) AS busiest, count(*) AS signups
FROM accounts_user u
CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM accounts_user v
    WHERE v.signup_network = u.signup_network
      AND v.date_joined >= u.date_joined
      AND v.date_joined < u.date_joined + make_interval(hours => %(hours)s)
) w
WHERE u.signup_network <> '' AND u.date_joined >= %(since)s
GROUP BY u.signup_network
HAVING max(w.n) >= %(minimum)s
ORDER BY busiest DESC, u.signup_network
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class SignupBurst:
    network: str
    busiest: int  # most sign-ups inside one window of `hours`
    signups: int  # all sign-ups from the network since `since`


def signup_bursts(
    *, since: dt.datetime, hours: int, minimum: int, limit: int = 50
) -> list[SignupBurst]:
    """Return networks with at least `minimum` sign-ups inside some `hours`-long window."""
    with connection.cursor() as cursor:
        cursor.execute(
            _BURSTS, {"since": since, "hours": hours, "minimum": minimum, "limit": limit}
        )
        return [SignupBurst(*row) for row in cursor.fetchall()]


def usernames_on_networks(networks: list[str], *, each: int = 10) -> dict[str, list[str]]:
    """Return up to `each` usernames per network that signed up from it, newest first, in one
    query whatever the number of networks."""
    if not networks:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT signup_network, username FROM (
                SELECT signup_network, username,
                       row_number() OVER (PARTITION BY signup_network
                                          ORDER BY date_joined DESC, id DESC) AS rank
                FROM accounts_user WHERE signup_network = ANY(%(networks)s)
            ) ranked
            WHERE rank <= %(each)s
            ORDER BY signup_network, rank
            """,
            {"networks": list(networks), "each": each},
        )
        found: dict[str, list[str]] = {network: [] for network in networks}
        for network, username in cursor.fetchall():
            found[network].append(username)
        return found
