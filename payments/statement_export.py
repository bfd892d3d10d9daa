"""A user's statement as CSV: every transfer touching their accounts, oldest first.

Shared by the wallet's download and the admin support page, so the two files are the same.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import timezone

from payments import selectors

HEADER = [
    "date",
    "transfer_id",
    "kind",
    "description",
    "funds_change",
    "earnings_change",
    "owed_change",
    "currency",
    "memo",
]


def _csv_cents(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def statement_csv_rows(user) -> Iterator[str]:
    """Yield the statement's CSV lines, streaming the transfers in chunks."""
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    transfers = selectors.statement_transfers(user).order_by("created_at", "id")
    for transfer in transfers.iterator(chunk_size=2000):
        line = selectors.statement_line(transfer, user.pk)
        yield writer.writerow(
            [
                line.created_at.isoformat(),
                line.transfer_id,
                line.kind,
                line.description,
                _csv_cents(line.funds),
                _csv_cents(line.earnings),
                _csv_cents(line.owed),
                settings.CURRENCY,
                line.memo,
            ]
        )


def statement_csv_response(
    user, *, filename_prefix: str = "flattr-statement"
) -> StreamingHttpResponse:
    """Return the user's statement as a streamed CSV download."""
    response = StreamingHttpResponse(
        statement_csv_rows(user), content_type="text/csv; charset=utf-8"
    )
    filename = f"{filename_prefix}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
