"""Subscriptions: auto-flattr a thing at the start of each month for 3, 6 or 12 months."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from flattr.errors import FlattrError
from flattr.models import Flattr, Subscription, Thing
from flattr.selectors import BIGINT_MAX, button_key
from flattr.services.flattrs import FLATTR_INSERT, flattr_refusal
from flattr.services.things import counts_forget_on_commit, thing_button_keys
from payments.months import month_add, month_label, month_start

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@transaction.atomic
def subscription_create(*, donor, thing: Thing, months: int) -> Subscription:
    """Flattr `thing` this month and automatically at the start of the next months-1 months.

    Raise FlattrError as flattr_add would (except that an existing flattr this month is fine),
    `invalid_parameters` for a length other than 3, 6 or 12, `subscription_exists` while one runs.
    """
    if months not in Subscription.Length.values:
        raise FlattrError("invalid_parameters", _("Subscriptions run for 3, 6 or 12 months."))
    thing = Thing.objects.select_related("owner", "payee__user").get(pk=thing.pk)
    refusal = flattr_refusal(donor=donor, thing=thing)
    if refusal is not None:
        raise refusal
    first = month_start()
    current = (
        Subscription.objects.select_for_update()
        .filter(donor=donor, thing=thing, cancelled_at__isnull=True)
        .first()
    )
    if current is not None:
        if current.last_month >= first:
            raise FlattrError(
                "subscription_exists",
                _("You already subscribe to this until %(month)s.")
                % {"month": month_label(current.last_month)},
            )
        current.cancelled_at = timezone.now()  # it ran out; the new one replaces it
        current.save(update_fields=["cancelled_at"])
    last = month_add(first, months - 1)
    subscription = Subscription.objects.create(
        donor=donor, thing=thing, months=months, first_month=first, last_month=last
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(FLATTR_INSERT, [donor.pk, thing.pk, first, Flattr.Source.SUBSCRIPTION, now])
        if cursor.fetchone() is not None:
            Thing.objects.filter(pk=thing.pk).update(last_flattr_at=now)
    counts_forget_on_commit([thing.pk], thing_button_keys(thing))
    return subscription


@transaction.atomic
def subscription_cancel(*, donor, subscription_id: int) -> Subscription:
    """Stop a subscription: no more automatic flattrs. This month's flattr stays (removable)."""
    if not 0 < subscription_id <= BIGINT_MAX:
        raise FlattrError("not_found", _("That subscription does not exist (any more)."))
    subscription = (
        Subscription.objects.select_for_update()
        .filter(pk=subscription_id, donor=donor, cancelled_at__isnull=True)
        .first()
    )
    if subscription is None:
        raise FlattrError("not_found", _("That subscription does not exist (any more)."))
    subscription.cancelled_at = timezone.now()
    subscription.save(update_fields=["cancelled_at"])
    return subscription


@transaction.atomic
def subscriptions_renew(*, month: dt.date | None = None) -> int:
    """Create this month's flattrs for every running subscription, in one INSERT … SELECT.

    Idempotent (ON CONFLICT DO NOTHING on the one-flattr-per-month constraint): run it twice, or
    after the donor already clicked, and nothing doubles. Skips closed or banned things, the
    donor's own things, frozen accounts and donors whose budget is below the minimum (they have
    stopped giving); the wallet is not checked, since money added before payday still counts.
    Return how many flattrs were created.
    """
    month = month_start(month)
    sql = (SQL_DIR / "subscriptions_renew.sql").read_text()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(sql, {"month": month, "now": now, "min_budget": settings.MIN_BUDGET_CENTS})
        rows = cursor.fetchall()
        if not rows:
            return 0
        thing_ids = sorted({row[0] for row in rows})
        cursor.execute(
            "UPDATE flattr_thing SET last_flattr_at = %s WHERE id = ANY(%s) "
            "AND (last_flattr_at IS NULL OR last_flattr_at < %s)",
            [now, thing_ids, now],
        )
        cursor.execute(
            "SELECT u.username, t.url FROM flattr_thing t JOIN accounts_user u "
            "ON u.id = t.owner_id WHERE t.id = ANY(%s)",
            [thing_ids],
        )
        keys = [button_key(uid=username, url=url) for username, url in cursor.fetchall()]
    counts_forget_on_commit(thing_ids, keys)
    return len(rows)
