"""Building blocks for public-site tests: many listable things at once, flattred this month."""

from __future__ import annotations

import itertools

from flattr.models import Flattr, Thing
from flattr.selectors import month_start
from payments.models import LedgerAccount
from payments.services import user_account
from tests.factories import make_user

_batches = itertools.count(1)


def make_things(n: int, *, owners: int = 3, tags=("bees",), language="en_GB", **fields):
    """Create n public things spread over `owners` owners, each flattred once this month."""
    batch = next(_batches)
    people = [make_user() for _ in range(owners)]
    payees = {p.pk: user_account(p, LedgerAccount.Kind.EARNINGS) for p in people}
    things = Thing.objects.bulk_create(
        Thing(
            owner=people[i % owners],
            payee=payees[people[i % owners].pk],
            url=f"https://example.org/bulk/{batch}/{i}",
            title=f"Bulk post number {i}",
            description="A post about honey and hives",
            tags=list(tags),
            language=language,
            **fields,
        )
        for i in range(n)
    )
    donor = make_user()
    Flattr.objects.bulk_create(Flattr(donor=donor, thing=t, month=month_start()) for t in things)
    return people, things
