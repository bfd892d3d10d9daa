""" "Your data": everything the site holds about a user, as JSON and CSV files in one zip.

Built by a Celery task (flattr.tasks.data_export_build), stored on a DataExport row and mailed
as a link. Core builds it because it is the lowest layer that can read every part (profile from
accounts, money from payments, things and flattrs of its own); platform apps add their part
(connected accounts) through DATA_SECTIONS, filled in their AppConfig.ready.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import secrets
import zipfile
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from flattr.models import DataExport, Flattr, Subscription, Thing

DATA_EXPORT_DAYS = 7
# name -> function(user) returning a list of flat dicts; platform apps register theirs.
DATA_SECTIONS: dict[str, Callable] = {}


def data_section_register(name: str, rows: Callable) -> None:
    """Let an upper app add a section (one JSON and one CSV file) to every export."""
    DATA_SECTIONS[name] = rows


def _profile(user) -> list[dict]:
    fields = (
        "username",
        "email",
        "display_name",
        "first_name",
        "last_name",
        "about",
        "website",
        "preferred_language",
        "date_joined",
        "last_login",
        "show_as_supporter",
        "show_giving",
        "show_receiving",
        "show_supporters",
        "profile_noindex",
        "explore_hidden",
        "email_notifications",
    )
    return [{name: getattr(user, name) for name in fields}]


def _things(user) -> list[dict]:
    return list(
        Thing.objects.filter(owner=user)
        .order_by("id")
        .values(
            "id", "url", "title", "description", "category", "tags", "language", "hidden",
            "created_at", "updated_at",
        )
    )  # fmt: skip


def _flattrs(user) -> list[dict]:
    return list(
        Flattr.objects.filter(donor=user)
        .order_by("month", "created_at", "id")
        .values("id", "thing_id", "thing__title", "thing__url", "month", "source", "created_at")
    )


def _subscriptions(user) -> list[dict]:
    return list(
        Subscription.objects.filter(donor=user)
        .order_by("id")
        .values("id", "thing_id", "months", "first_month", "last_month", "cancelled_at")
    )


def _statements(user) -> list[dict]:
    from payments.selectors import statement_lines, statement_transfers

    return [
        {
            "transfer_id": line.transfer_id,
            "created_at": line.created_at,
            "kind": line.kind,
            "description": str(line.description),
            "funds_cents": line.funds,
            "earnings_cents": line.earnings,
            "owed_cents": line.owed,
        }
        for line in statement_lines(user, statement_transfers(user))
    ]


def _deposits(user) -> list[dict]:
    from payments.models import Deposit

    return list(
        Deposit.objects.filter(user=user)
        .order_by("created_at", "id")
        .values(
            "reference", "amount", "currency", "method", "status", "refunded_cents", "created_at",
            "credited_at",
        )
    )  # fmt: skip


def _payouts(user) -> list[dict]:
    """Payouts from the ledger (payout transfers off the user's earnings); the payout model of
    issue 11 adds its details when it lands."""
    return [row for row in _statements(user) if row["kind"] in ("payout", "payout_reversal")]


CORE_SECTIONS: dict[str, Callable] = {
    "profile": _profile,
    "things": _things,
    "flattrs": _flattrs,
    "subscriptions": _subscriptions,
    "statements": _statements,
    "deposits": _deposits,
    "payouts": _payouts,
}


def _plain(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    names = list(rows[0]) if rows else ["empty"]
    writer = csv.DictWriter(out, fieldnames=names)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _plain(v) for k, v in row.items()})
    return out.getvalue()


def data_zip(user) -> bytes:
    """Return the zip of every section, each as `<name>.json` and `<name>.csv`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows_of in {**CORE_SECTIONS, **DATA_SECTIONS}.items():
            rows = rows_of(user)
            archive.writestr(
                f"{name}.json",
                json.dumps([{k: _plain(v) for k, v in r.items()} for r in rows], indent=2),
            )
            archive.writestr(f"{name}.csv", _csv(rows))
        archive.writestr(
            "README.txt",
            "Everything Flattr holds about you, as JSON and CSV. Amounts are in cents.\n",
        )
    return buffer.getvalue()


@transaction.atomic
def data_export_request(*, user) -> DataExport:
    """Start an export: the row now, the zip and the mail from a Celery task after commit."""
    from flattr.tasks import data_export_build

    export = DataExport.objects.create(
        user=user,
        token=secrets.token_urlsafe(32),
        expires_at=timezone.now() + dt.timedelta(days=DATA_EXPORT_DAYS),
    )
    # Robust: with the queue down the request still succeeds (the error is logged); the export
    # then stays "being prepared" until it expires, and the user can ask again.
    transaction.on_commit(lambda: data_export_build.delay(export.pk), robust=True)
    return export


def data_export_build(*, export_id: int) -> None:
    """Build the zip, store it and mail the link (idempotent: a built export is not rebuilt)."""
    from accounts.mail import mail_deliver

    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.ready_at is not None:
        return
    content = data_zip(export.user)
    DataExport.objects.filter(pk=export.pk).update(content=content, ready_at=timezone.now())
    user = export.user
    link = settings.SITE_URL + reverse("data_export_download", kwargs={"token": export.token})
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        subject = _("Your Flattr data is ready")
        body = render_to_string(
            "flattr/email/data_export.txt",
            {"user": user, "link": link, "days": DATA_EXPORT_DAYS},
        )
    if user.email:
        mail_deliver(to=[user.email], subject=subject, body=body)


def data_export_for_download(*, user, token: str) -> DataExport | None:
    """Return the user's ready, unexpired export with this token, or None."""
    return (
        DataExport.objects.filter(
            user=user, token=token, ready_at__isnull=False, expires_at__gt=timezone.now()
        )
        .only("content", "created_at")
        .first()
    )


def data_exports_recent(user) -> list[DataExport]:
    return list(
        DataExport.objects.filter(user=user, expires_at__gt=timezone.now())
        .defer("content")
        .order_by("-created_at")[:5]
    )
