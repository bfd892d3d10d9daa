"""Building blocks for twitter_claims tests: donors who flattr handles over HTTP, months that
close, paydays that run, and the claim link followed by the owner."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from flattr.models import Flattr
from payments.models import Payday
from payments.payday import payday_run
from tests.payments.payday_data import make_donor

__all__ = ["donors_flattr", "make_donor", "month_close", "payday_for", "payday_transfers_date"]


def donors_flattr(handle: str, *, count: int = 3, budget: int = 1000, donors=None) -> list:
    """`count` donors (budget €10, funds €50) each flattr @handle through the site's form."""
    donors = donors or [make_donor(budget=budget, funds=5000) for _ in range(count)]
    for donor in donors:
        client = Client()
        client.force_login(donor)
        response = client.post(reverse("twitter_claims:flattr"), {"handle": handle})
        assert response.status_code == 302, response.content
    return donors


def month_close(month: dt.date) -> None:
    """Move every flattr not split yet into `month`, as if it had been made then (mid-month)."""
    when = dt.datetime(month.year, month.month, 15, 12, tzinfo=dt.UTC)
    Flattr.objects.filter(share__isnull=True).update(month=month, created_at=when)


def payday_for(month: dt.date, *, started_at: dt.datetime | None = None) -> Payday:
    """Close `month` (its pending flattrs) and run its payday; optionally pretend it ran at
    `started_at` (for expiry, which counts from each share's own payday transfer): the payday
    row and the transfers it posted are dated then."""
    month_close(month)
    payday_run(month=month)
    payday = Payday.objects.get(month=month)
    if started_at is not None:
        Payday.objects.filter(pk=payday.pk).update(started_at=started_at)
        payday_transfers_date(payday, started_at)
    return payday


def payday_transfers_date(payday: Payday, when: dt.datetime) -> None:
    """Date the transfers a payday posted `when`, as if it had run then. Transfers are
    append-only (a trigger refuses UPDATE), so the test switches triggers off for this one
    statement's transaction (`session_replication_role`; the suite's role is a superuser)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE payments_transfer SET created_at = %s WHERE payday_id = %s", [when, payday.pk]
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
