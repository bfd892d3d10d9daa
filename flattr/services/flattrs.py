"""Flattrs: add (once per donor, thing and month), remove while the month is open, and the
moves platform apps need when a handle is resolved or released. Each service owns its
transaction and forgets the affected counts after commit.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from flattr.errors import FlattrError
from flattr.models import Flattr, Thing
from flattr.selectors import BIGINT_MAX
from flattr.services.things import counts_forget_on_commit, thing_button_keys, thing_for_auto_submit
from flattr.signals import flattr_created
from payments.months import month_start


def _month_name(month: dt.date) -> str:
    return formats.date_format(month, "F")


def flattr_refusal(*, donor, thing: Thing) -> FlattrError | None:
    """Return why `donor` may not flattr `thing` now (ignoring "already flattred"), or None."""
    from accounts.moderation import user_blocked
    from payments.selectors import means_check

    if thing.closed or thing.banned:
        # The code predates `closed` and is a contract (API, other apps); hidden things, which
        # are only unlisted, are flattrable.
        return FlattrError("thing_hidden")
    if thing.payee.user is not None and user_blocked(thing.payee.user):
        return FlattrError("thing_hidden")  # a suspended or fraud-marked recipient's things
    if thing.owner_id == donor.pk or thing.payee.user_id == donor.pk:
        return FlattrError("flattr_owner")
    code = means_check(donor)
    if code is not None:
        return FlattrError(code)
    return None


def flattr_once_error(month: dt.date) -> FlattrError:
    """Return the `flattr_once` error naming the month ("You already flattred this in November")."""
    return FlattrError(
        "flattr_once",
        _("You already flattred this in %(month)s.") % {"month": _month_name(month)},
    )


FLATTR_INSERT = """
    INSERT INTO flattr_flattr (donor_id, thing_id, month, source, created_at)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (donor_id, thing_id, month) DO NOTHING
    RETURNING id
"""


@transaction.atomic
def flattr_add(*, donor, thing: Thing, source: str = Flattr.Source.SITE) -> Flattr:
    """Record that `donor` flattrs `thing` this month, at most once.

    Raise FlattrError: `thing_hidden` (also for a suspended or fraud-marked recipient),
    `flattr_owner`, `account_frozen`, `account_suspended`, `no_means` (see
    payments.selectors.means_check: a budget of at least MIN_BUDGET_CENTS and a wallet payday can
    take from), `flattr_once` when this month's flattr exists. The database's unique constraint
    decides races: of any number of concurrent requests, one inserts and the rest see
    `flattr_once`. No money moves now; payday splits the month's budget.
    """
    if source not in Flattr.Source.values:
        raise ValueError(f"unknown flattr source {source!r}")
    thing = Thing.objects.select_related("owner", "payee__user").get(pk=thing.pk)
    month = month_start()
    if Flattr.objects.filter(donor=donor, thing=thing, month=month).exists():
        raise flattr_once_error(month)
    refusal = flattr_refusal(donor=donor, thing=thing)
    if refusal is not None:
        raise refusal
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(FLATTR_INSERT, [donor.pk, thing.pk, month, source, now])
        row = cursor.fetchone()
    if row is None:  # a concurrent request inserted it first
        raise flattr_once_error(month)
    Thing.objects.filter(pk=thing.pk).update(last_flattr_at=now)
    counts_forget_on_commit([thing.pk], thing_button_keys(thing))
    flattr = Flattr(id=row[0], donor=donor, thing=thing, month=month, source=source, created_at=now)
    transaction.on_commit(lambda: flattr_created.send(sender=Flattr, flattr=flattr))
    return flattr


@transaction.atomic
def flattr_via_auto_submit(
    *, donor, owner, source: str = Flattr.Source.BUTTON, **thing_fields
) -> Flattr:
    """Flattr the thing an auto-submit link or button describes, creating it if new.

    One transaction: when the flattr is refused, a thing created for it is rolled back too, so
    things come into being only with their first flattr.
    """
    thing = thing_for_auto_submit(owner=owner, **thing_fields)
    return flattr_add(donor=donor, thing=thing, source=source)


@transaction.atomic
def flattr_remove(*, donor, flattr_id: int) -> None:
    """Remove the donor's flattr while its month is still open.

    A flattr counts for the month it was made in and is settled on the next payday; once that
    month has ended it belongs to payday and stays. Raise FlattrError `not_found` (no such flattr
    of this donor) or `flattr_closed`.
    """
    if not 0 < flattr_id <= BIGINT_MAX:
        raise FlattrError("not_found", _("That flattr does not exist (any more)."))
    flattr = (
        Flattr.objects.select_for_update(of=("self",))
        .select_related("thing", "thing__owner")
        .filter(pk=flattr_id, donor=donor)
        .first()
    )
    if flattr is None:
        raise FlattrError("not_found", _("That flattr does not exist (any more)."))
    if flattr.month < month_start() or hasattr(flattr, "share"):
        raise FlattrError("flattr_closed")
    thing = flattr.thing
    flattr.delete()
    counts_forget_on_commit([thing.pk], thing_button_keys(thing))


# ---- Flattrs of platform accounts -----------------------------------------------------------


@transaction.atomic
def flattrs_move(*, flattr_ids: list[int], thing_id: int) -> int:
    """Re-point these flattrs at another thing (a handle resolved to its account's thing).

    The caller has made sure no donor then flattrs the target twice in a month (the database's
    unique constraint would refuse it). Return how many moved; counts of both sides are
    forgotten after commit.
    """
    if not flattr_ids:
        return 0
    sources = set(
        Flattr.objects.filter(pk__in=flattr_ids).values_list("thing_id", flat=True).distinct()
    )
    moved = Flattr.objects.filter(pk__in=flattr_ids).update(thing_id=thing_id)
    _things_changed({*sources, thing_id})
    return moved


@transaction.atomic
def flattrs_cancel(*, flattr_ids: list[int]) -> int:
    """Delete these pending flattrs (a handle that could not be confirmed in time); flattrs that
    payday already split are the payments app's to settle and are left alone. Return how many."""
    if not flattr_ids:
        return 0
    pending = Flattr.objects.filter(pk__in=flattr_ids, share__isnull=True)
    things = set(pending.values_list("thing_id", flat=True).distinct())
    cancelled, _rows = pending.delete()
    _things_changed(things)
    return cancelled


def _things_changed(thing_ids: set[int]) -> None:
    keys: list[str] = []
    for thing in Thing.objects.filter(pk__in=thing_ids).select_related("owner"):
        keys += thing_button_keys(thing)
    counts_forget_on_commit(sorted(thing_ids), keys)
