"""Payouts as CSV for the books: every payout (or those of one status), oldest first, streamed."""

from __future__ import annotations

import csv
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

from payments.models import Payout

HEADER = [
    "payout_id",
    "reference",
    "requested_at",
    "username",
    "email",
    "amount",
    "fee",
    "net",
    "currency",
    "status",
    "auto_approved",
    "decided_by",
    "decided_at",
    "decision_reason",
    "transfer_id",
    "stripe_payout_id",
    "finished_at",
    "failure",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cents(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def _when(value) -> str:
    return value.isoformat() if value else ""


def payouts_csv_response(*, status: str = "") -> StreamingHttpResponse:
    """Return the payouts (of `status`, if it is one) as a streamed CSV download."""
    payouts = Payout.objects.select_related("user", "decided_by").order_by("requested_at", "id")
    if status in Payout.Status.values:
        payouts = payouts.filter(status=status)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(HEADER)
        for payout in payouts.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    payout.pk,
                    payout.reference,
                    _when(payout.requested_at),
                    payout.user.username,
                    payout.user.email,
                    _cents(payout.amount),
                    _cents(payout.fee),
                    _cents(payout.net),
                    payout.currency.upper(),
                    payout.status,
                    payout.auto_approved,
                    payout.decided_by.username if payout.decided_by else "",
                    _when(payout.decided_at),
                    payout.decision_reason,
                    payout.transfer_id,
                    payout.stripe_payout_id,
                    _when(payout.finished_at),
                    payout.failure,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    filename = f"payouts-{status or 'all'}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
